using System.Buffers.Binary;
using System.Text.Json;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>
/// A reference case's token ids (tests/fixtures/README.md): the prompt followed by its float64 greedy continuation,
/// read straight from reference.safetensors (an 8-byte header length, the JSON header, then the tensors).
/// </summary>
internal static class ReferenceTokens
{
    public static (int[] Ids, int PromptLength) Read(string fixture, int caseIndex)
    {
        using var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture, "reference.json")));
        int promptLength = cases.RootElement.GetProperty("cases")[caseIndex].GetProperty("prompt_len").GetInt32();
        var bytes = File.ReadAllBytes(Path.Combine(fixture, "reference.safetensors"));
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var offsets = header.RootElement.GetProperty($"case{caseIndex}.input_ids").GetProperty("data_offsets");
        int start = 8 + headerLength + offsets[0].GetInt32(), end = 8 + headerLength + offsets[1].GetInt32();
        var ids = new int[(end - start) / 8];
        for (int i = 0; i < ids.Length; i++) ids[i] = checked((int)BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(start + 8 * i)));
        return (ids, promptLength);
    }
}
