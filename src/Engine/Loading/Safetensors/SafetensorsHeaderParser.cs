using System.Text.Json;

namespace MambaServe.Engine.Loading.Safetensors;

/// <summary>Turns a parsed safetensors header into validated <see cref="SafetensorsTensorInfo"/> entries.</summary>
internal static class SafetensorsHeaderParser
{
    public static Dictionary<string, SafetensorsTensorInfo> Parse(string path, JsonElement root, long dataLength)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new CheckpointException($"Safetensors file '{path}' has a header that is not a JSON object.");
        }

        var tensors = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                continue;
            }

            tensors[property.Name] = ParseEntry(path, property.Name, property.Value, dataLength);
        }

        return tensors;
    }

    private static SafetensorsTensorInfo ParseEntry(string path, string name, JsonElement entry, long dataLength)
    {
        string Where() => $"tensor '{name}' in '{path}'";
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !entry.TryGetProperty("data_offsets", out var offsetsElement)
            || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
        {
            throw new CheckpointException($"Header entry for {Where()} needs dtype, shape and data_offsets [begin, end].");
        }

        var dtypeName = dtypeElement.GetString();
        TensorDType dtype = dtypeName switch
        {
            "F32" => TensorDType.Float32,
            "F16" => TensorDType.Float16,
            "BF16" => TensorDType.BFloat16,
            "I64" => TensorDType.Int64,
            _ => throw new CheckpointException(
                $"Unsupported dtype '{dtypeName}' for {Where()}; expected F32, F16, BF16 or I64."),
        };

        var shape = new long[shapeElement.GetArrayLength()];
        var index = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var value) || value < 0)
            {
                throw new CheckpointException($"Invalid shape for {Where()}: {shapeElement.GetRawText()}.");
            }

            shape[index++] = value;
        }

        if (!offsetsElement[0].TryGetInt64(out var begin) || !offsetsElement[1].TryGetInt64(out var end)
            || begin < 0 || end < begin)
        {
            throw new CheckpointException($"Invalid data_offsets for {Where()}: {offsetsElement.GetRawText()}.");
        }

        if (end > dataLength)
        {
            throw new CheckpointException(
                $"File '{path}' is truncated: {Where()} ends at byte {end} of the data section, " +
                $"which holds only {dataLength} bytes.");
        }

        var info = new SafetensorsTensorInfo(name, dtype, shape, begin, end);
        if (info.ElementCount * Float32Converter.ElementSize(dtype) != end - begin)
        {
            throw new CheckpointException(
                $"Data size of {Where()} ({end - begin} bytes) does not match shape [{string.Join(", ", shape)}] " +
                $"of {dtypeName}.");
        }

        return info;
    }
}
