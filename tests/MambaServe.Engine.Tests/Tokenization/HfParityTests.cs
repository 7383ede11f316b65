using System.Buffers.Binary;
using System.Text.Json;
using MambaServe.Engine.Tests.Infrastructure;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Tests.Tokenization;

/// <summary>Agreement with HF tokenizers on ids that HF itself produced (the demo references' prompts).</summary>
public sealed class HfParityTests
{
    [Fact]
    public void Encode_DecodedReferencePrompts_ReproducesHfIds()
    {
        var tokenizer = MambaTokenizer.TryLoad(TestPaths.DemoModel)!;
        var folder = TestPaths.Fixture("demo");
        using var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "reference.json")));
        var tensors = File.ReadAllBytes(Path.Combine(folder, "reference.safetensors"));

        var checkedCases = 0;
        foreach (var c in cases.RootElement.GetProperty("cases").EnumerateArray())
        {
            var ids = ReadInt64Tensor(tensors, $"case{c.GetProperty("case").GetInt32()}.input_ids");
            var prompt = ids.Take(c.GetProperty("prompt_len").GetInt32()).ToArray();

            Assert.Equal(prompt, tokenizer.Encode(tokenizer.Decode(prompt)));
            checkedCases++;
        }
        Assert.True(checkedCases >= 3);
    }

    // safetensors: u64 little-endian header length, JSON header {name: {dtype, shape, data_offsets}}, raw data.
    private static int[] ReadInt64Tensor(byte[] file, string name)
    {
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        using var header = JsonDocument.Parse(file.AsMemory(8, headerLength));
        var entry = header.RootElement.GetProperty(name);
        Assert.Equal("I64", entry.GetProperty("dtype").GetString());
        var offsets = entry.GetProperty("data_offsets");
        var start = 8 + headerLength + offsets[0].GetInt32();
        var count = (offsets[1].GetInt32() - offsets[0].GetInt32()) / 8;
        return Enumerable.Range(0, count).Select(i => checked((int)BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(start + 8 * i)))).ToArray();
    }
}
