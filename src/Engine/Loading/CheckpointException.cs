namespace MambaServe.Engine.Loading;

/// <summary>
/// A checkpoint (or the model repository it comes from) cannot be used: a file is missing, truncated or malformed, or a
/// tensor or config key does not match what a Mamba model needs. The message names the file and the tensor or key, so
/// a bad checkpoint fails at load time with a readable reason instead of deep inside compute.
/// </summary>
public class CheckpointException : Exception
{
    public CheckpointException(string message)
        : base(message)
    {
    }

    public CheckpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
