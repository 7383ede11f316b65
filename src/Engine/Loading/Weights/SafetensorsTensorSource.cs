using System.Text.Json;
using MambaServe.Engine.Loading.Safetensors;

namespace MambaServe.Engine.Loading.Weights;

/// <summary>
/// Tensors from <c>model.safetensors</c> or from the shards named by <c>model.safetensors.index.json</c>
/// (<c>{"weight_map": {tensor: shard file}}</c>); every shard is memory-mapped for the duration of the load.
/// </summary>
internal sealed class SafetensorsTensorSource : ITensorSource
{
    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, SafetensorsFile> _owner;

    private SafetensorsTensorSource(List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> owner)
    {
        _files = files;
        _owner = owner;
    }

    public IReadOnlyCollection<string> Names => _owner.Keys;

    public static SafetensorsTensorSource OpenSingle(string path)
    {
        var file = SafetensorsFile.Open(path);
        return new SafetensorsTensorSource([file], file.Tensors.Keys.ToDictionary(k => k, _ => file, StringComparer.Ordinal));
    }

    public static SafetensorsTensorSource OpenSharded(string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        var directory = Path.GetDirectoryName(indexPath)!;
        var files = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var (tensor, shard) in weightMap)
            {
                if (!files.TryGetValue(shard, out var file))
                {
                    var shardPath = Path.Combine(directory, shard);
                    if (!File.Exists(shardPath))
                    {
                        throw new CheckpointException(
                            $"Shard '{shardPath}' listed in '{indexPath}' for tensor '{tensor}' does not exist.");
                    }

                    file = SafetensorsFile.Open(shardPath);
                    files.Add(shard, file);
                }

                if (!file.Tensors.ContainsKey(tensor))
                {
                    throw new CheckpointException(
                        $"Tensor '{tensor}' is mapped to '{file.Path}' by '{indexPath}' but that shard does not hold it.");
                }

                owner[tensor] = file;
            }
        }
        catch
        {
            foreach (var file in files.Values)
            {
                file.Dispose();
            }

            throw;
        }

        return new SafetensorsTensorSource([.. files.Values], owner);
    }

    public string FileOf(string name) => _owner[name].Path;

    public IReadOnlyList<long> ShapeOf(string name) => _owner[name].Tensors[name].Shape;

    public TensorDType DTypeOf(string name) => _owner[name].Tensors[name].DType;

    public ReadOnlySpan<byte> ReadBytes(string name)
    {
        var file = _owner[name];
        return file.GetBytes(file.Tensors[name]);
    }

    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose();
        }
    }

    private static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (!document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"Index '{indexPath}' has no 'weight_map' object.");
            }

            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                var shard = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString() : null;
                if (string.IsNullOrEmpty(shard) || Path.IsPathRooted(shard) || shard.Contains(".."))
                {
                    throw new CheckpointException(
                        $"Index '{indexPath}' maps tensor '{entry.Name}' to an invalid shard {entry.Value.GetRawText()}.");
                }

                result[entry.Name] = shard;
            }

            return result;
        }
        catch (JsonException ex)
        {
            throw new CheckpointException($"Index '{indexPath}' is not valid JSON: {ex.Message}", ex);
        }
    }
}
