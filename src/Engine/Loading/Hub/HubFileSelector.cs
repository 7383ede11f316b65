namespace MambaServe.Engine.Loading.Hub;

/// <summary>Picks, from a repository's file list, what serving a Mamba checkpoint needs, and nothing else.</summary>
internal static class HubFileSelector
{
    private static readonly string[] MetadataFiles =
    [
        CheckpointConfigReader.ConfigFileName, "tokenizer.json", "tokenizer_config.json", "generation_config.json",
        "special_tokens_map.json",
    ];

    public static IReadOnlyList<HubSibling> Select(string modelId, IReadOnlyList<HubSibling> siblings)
    {
        // Only top-level files: subfolders hold other variants (onnx/, original/, ...).
        var topLevel = siblings.Where(s => !s.FileName.Contains('/')).ToList();
        if (!topLevel.Any(s => s.FileName == CheckpointConfigReader.ConfigFileName))
        {
            throw new HubException($"Repository '{modelId}' has no config.json; it is not a Mamba checkpoint.");
        }

        var safetensors = topLevel.Where(s => s.FileName.EndsWith(".safetensors", StringComparison.Ordinal)
            || s.FileName == CheckpointLoader.SafetensorsIndexFileName).ToList();
        var weights = safetensors.Count > 0
            ? safetensors
            : topLevel.Where(s => s.FileName == CheckpointLoader.PyTorchBinFileName).ToList();
        if (weights.Count == 0)
        {
            throw new HubException(
                $"Repository '{modelId}' has neither *.safetensors nor {CheckpointLoader.PyTorchBinFileName}.");
        }

        return [.. topLevel.Where(s => MetadataFiles.Contains(s.FileName)), .. weights];
    }
}
