using MambaServe.Engine.Loading.Weights;

namespace MambaServe.Engine.Loading;

/// <summary>
/// Loads a Mamba checkpoint directory: <c>config.json</c> plus <c>model.safetensors</c>, sharded safetensors with
/// <c>model.safetensors.index.json</c>, or (original format) <c>pytorch_model.bin</c>, tried in that order.
/// Weights come back as validated fp32 host arrays.
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
        try
        {
            var config = CheckpointConfigReader.Read(directory);
            using var source = OpenTensors(directory);
            return new LoadedCheckpoint(directory, config, WeightAssembler.Assemble(config, source, directory));
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
