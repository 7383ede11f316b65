namespace MambaServe.Engine.Backends;

/// <summary>The backend asked for cannot run here; the message is one line saying why (for the log and the exit).</summary>
public sealed class BackendUnavailableException(string message) : Exception(message);
