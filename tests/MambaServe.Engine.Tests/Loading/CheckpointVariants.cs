using System.Text.Json.Nodes;
using MambaServe.Engine.Loading.Safetensors;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Loading;

/// <summary>Builds variants of the tiny-a fixture (other dtypes, shards, edited config or tensors) in a temp dir.</summary>
internal static class CheckpointVariants
{
    public static string TinyA => TestPaths.Fixture("tiny-a");

    /// <summary>tiny-a's tensors as (name, shape, fp32 values), in file order.</summary>
    public static List<(string Name, long[] Shape, float[] Values)> TinyATensors()
    {
        using var file = SafetensorsFile.Open(Path.Combine(TinyA, "model.safetensors"));
        return file.Tensors.Values.OrderBy(t => t.Begin)
            .Select(t => (t.Name, t.Shape, file.ReadFloat32(t.Name)))
            .ToList();
    }

    public static void CopyConfig(string directory, Action<JsonObject>? edit = null)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TinyA, "config.json")))!.AsObject();
        edit?.Invoke(json);
        File.WriteAllText(Path.Combine(directory, "config.json"), json.ToJsonString());
    }

    public static IEnumerable<SafetensorsTestWriter.Entry> Entries(
        IEnumerable<(string Name, long[] Shape, float[] Values)> tensors, string dtype = "F32") =>
        tensors.Select(t => SafetensorsTestWriter.Float(t.Name, t.Shape, t.Values, dtype));

    /// <summary>tiny-a as a single file in <paramref name="dtype"/>, with optional tensor edits.</summary>
    public static void WriteSingle(string directory, string dtype = "F32",
        Func<List<(string Name, long[] Shape, float[] Values)>, IEnumerable<(string Name, long[] Shape, float[] Values)>>? edit = null)
    {
        CopyConfig(directory);
        var tensors = TinyATensors();
        SafetensorsTestWriter.Write(Path.Combine(directory, "model.safetensors"), Entries(edit is null ? tensors : edit(tensors), dtype));
    }
}
