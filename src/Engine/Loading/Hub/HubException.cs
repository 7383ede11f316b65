namespace MambaServe.Engine.Loading.Hub;

/// <summary>
/// A model id could not be resolved to a local folder: unknown repository, authentication needed, network failure, or
/// offline mode without a cached copy. A <see cref="CheckpointException"/>, so one catch covers every way a model
/// argument can be unusable.
/// </summary>
public sealed class HubException : CheckpointException
{
    public HubException(string message)
        : base(message)
    {
    }

    public HubException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
