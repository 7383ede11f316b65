namespace MambaServe.Engine.Scheduling;

/// <summary>
/// The engine is not running (not started, shutting down, or stopped); thrown by
/// <see cref="IGenerationEngine.GenerateAsync"/> at once. The server maps it to HTTP 503 / gRPC UNAVAILABLE.
/// </summary>
public sealed class EngineStoppedException(string message) : InvalidOperationException(message);
