namespace MambaServe.Engine.Backends;

/// <summary>
/// A setting the chosen backend cannot honour (a compute dtype), refused before any weight is read; the message is
/// one line naming the setting and what to use instead. Its own type so that the command line reports exactly this as
/// a user's error, while any other <see cref="NotSupportedException"/> (a bug) keeps its stack trace.
/// </summary>
public sealed class SettingNotSupportedException(string message) : NotSupportedException(message);
