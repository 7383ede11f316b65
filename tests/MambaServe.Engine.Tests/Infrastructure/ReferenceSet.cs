using System.Runtime.InteropServices;
using System.Text.Json;
using MambaServe.Engine.Loading.Safetensors;

namespace MambaServe.Engine.Tests.Infrastructure;

/// <summary>
/// The reference checkpoints of tests/fixtures (copied from shared/reference): which model folder each reference
/// belongs to, and its cases read from reference.json + reference.safetensors.
/// </summary>
public static class ReferenceSet
{
    /// <summary>(model name, model folder, reference folder) for every model the references cover.</summary>
    public static IReadOnlyList<(string Name, string ModelDir, string ReferenceDir)> Models { get; } =
    [
        ("tiny-a", TestPaths.Fixture("tiny-a"), TestPaths.Fixture("tiny-a")),
        ("tiny-a-original", TestPaths.Fixture("tiny-a-original"), TestPaths.Fixture("tiny-a")),
        ("tiny-b", TestPaths.Fixture("tiny-b"), TestPaths.Fixture("tiny-b")),
        ("demo", TestPaths.DemoModel, TestPaths.Fixture("demo")),
        ("falcon-tiny", TestPaths.Fixture("falcon-tiny"), TestPaths.Fixture("falcon-tiny")),
    ];

    public static string ModelDir(string name) => Models.Single(m => m.Name == name).ModelDir;

    public static IReadOnlyList<ReferenceCase> Cases(string name)
    {
        var referenceDir = Models.Single(m => m.Name == name).ReferenceDir;
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(referenceDir, "reference.json")));
        using var file = SafetensorsFile.Open(Path.Combine(referenceDir, "reference.safetensors"));
        var cases = new List<ReferenceCase>();
        foreach (var c in json.RootElement.GetProperty("cases").EnumerateArray())
        {
            var i = c.GetProperty("case").GetInt32();
            var idsInfo = file.Tensors[$"case{i}.input_ids"];
            var tokens = MemoryMarshal.Cast<byte, long>(file.GetBytes(idsInfo)).ToArray().Select(t => (int)t).ToArray();
            var logitsInfo = file.Tensors[$"case{i}.logits"];
            var logits = file.ReadFloat32(logitsInfo.Name);
            cases.Add(new ReferenceCase(name, i, c.GetProperty("prompt_len").GetInt32(), tokens, logits, (int)logitsInfo.Shape[1]));
        }
        return cases;
    }

    /// <summary>xunit data: every (model, case index) pair.</summary>
    public static TheoryData<string, int> AllCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var (name, index) in AllCaseKeys()) data.Add(name, index);
        return data;
    }

    public static IEnumerable<(string Model, int Case)> AllCaseKeys() =>
        Models.SelectMany(m => Cases(m.Name).Select(c => (m.Name, c.Index)));
}
