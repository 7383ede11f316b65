using MambaServe.Engine.Loading.Weights;

namespace MambaServe.Engine.Loading;

/// <summary>
/// Loads a Mamba checkpoint directory: <c>config.json</c> plus <c>model.safetensors</c>, sharded safetensors with
/// <c>model.safetensors.index.json</c>, or (original format) <c>pytorch_model.bin</c>, tried in that order.
/// Weights come back as validated fp32 host arrays, or one tensor at a time in their stored dtype (<see cref="Stream"/>).
/// </summary>
public static class CheckpointLoader
{
    public const string SafetensorsFileName = "model.safetensors";
    public const string SafetensorsIndexFileName = "model.safetensors.index.json";
    public const string PyTorchBinFileName = "pytorch_model.bin";

    /// <exception cref="CheckpointException">Anything wrong with the directory, config or tensors.</exception>
    public static LoadedCheckpoint Load(string modelDirectory)
    {
        var directory = RequireDirectory(modelDirectory);
        var config = CheckpointConfigReader.Read(directory);
        var weights = ReadTensors(directory, source => WeightAssembler.Assemble(config, source, directory));
        return new LoadedCheckpoint(directory, config, weights);
    }

    /// <summary>Each tensor in its stored dtype, after the whole checkpoint was checked (<see cref="IWeightSource.Stream"/>).</summary>
    internal static void Stream(string directory, MambaConfig config, CheckpointTensorVisitor visit) =>
        ReadTensors(directory, source =>
        {
            CheckpointTensorStream.Stream(config, source, directory, visit);
            return true;
        });

    private static T ReadTensors<T>(string directory, Func<ITensorSource, T> read)
    {
        try
        {
            using var source = OpenTensors(directory);
            return read(source);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unreadable files (permissions, I/O errors); the message carries the path.
            throw new CheckpointException($"Reading the checkpoint in '{directory}' failed: {ex.Message}", ex);
        }
    }

    /// <summary>The directory's full path, or a <see cref="CheckpointException"/> when it does not exist.</summary>
    internal static string RequireDirectory(string modelDirectory) =>
        Directory.Exists(modelDirectory)
            ? Path.GetFullPath(modelDirectory)
            : throw new CheckpointException($"Model directory '{modelDirectory}' does not exist.");

    private static ITensorSource OpenTensors(string directory)
    {
        var single = Path.Combine(directory, SafetensorsFileName);
        if (File.Exists(single))
        {
            return SafetensorsTensorSource.OpenSingle(single);
        }

        var index = Path.Combine(directory, SafetensorsIndexFileName);
        if (File.Exists(index))
        {
            return SafetensorsTensorSource.OpenSharded(index);
        }

        var bin = Path.Combine(directory, PyTorchBinFileName);
        if (File.Exists(bin))
        {
            return PyTorchBinTensorSource.Open(bin);
        }

        throw new CheckpointException(
            $"No weights in '{directory}': expected '{SafetensorsFileName}', '{SafetensorsIndexFileName}' " +
            $"(sharded) or '{PyTorchBinFileName}'.");
    }
}
