namespace MambaServe.Engine.Loading;

/// <summary>The weights of a checkpoint directory; the config is read (and checked) at once, the weights when streamed.</summary>
public sealed class CheckpointWeightSource : IWeightSource
{
    private CheckpointWeightSource(string directory, MambaConfig config)
    {
        Directory = directory;
        Config = config;
    }

    public string Directory { get; }

    public MambaConfig Config { get; }

    /// <exception cref="CheckpointException">The directory or its config.json is missing or invalid.</exception>
    public static CheckpointWeightSource Open(string modelDirectory)
    {
        var directory = CheckpointLoader.RequireDirectory(modelDirectory);
        return new CheckpointWeightSource(directory, CheckpointConfigReader.Read(directory));
    }

    public void Stream(CheckpointTensorVisitor visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        CheckpointLoader.Stream(Directory, Config, visit);
    }
}
