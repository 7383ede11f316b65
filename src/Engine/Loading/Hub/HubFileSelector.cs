using System.Text.RegularExpressions;

namespace MambaServe.Engine.Loading.Hub;

/// <summary>Picks, from a repository's file list, what serving a Mamba checkpoint needs, and nothing else.</summary>
internal static partial class HubFileSelector
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

        // The same preference as CheckpointLoader: one file, else an index and its shards, else the original format.
        // Other *.safetensors at top level (references, adapters) are not the model and are skipped.
        var names = topLevel.Select(s => s.FileName).ToHashSet(StringComparer.Ordinal);
        var weights = names.Contains(CheckpointLoader.SafetensorsFileName)
            ? topLevel.Where(s => s.FileName == CheckpointLoader.SafetensorsFileName).ToList()
            : names.Contains(CheckpointLoader.SafetensorsIndexFileName)
                ? topLevel.Where(s => s.FileName == CheckpointLoader.SafetensorsIndexFileName || ShardPattern().IsMatch(s.FileName)).ToList()
                : topLevel.Where(s => s.FileName == CheckpointLoader.PyTorchBinFileName).ToList();
        if (weights.Count == 0)
        {
            throw new HubException(
                $"Repository '{modelId}' has none of {CheckpointLoader.SafetensorsFileName}, " +
                $"{CheckpointLoader.SafetensorsIndexFileName} or {CheckpointLoader.PyTorchBinFileName}.");
        }

        return [.. topLevel.Where(s => MetadataFiles.Contains(s.FileName)), .. weights];
    }

    [GeneratedRegex(@"^model-\d+-of-\d+\.safetensors$")]
    private static partial Regex ShardPattern();
}
