using System.Buffers.Binary;
using System.Text.Json;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Sampling;

/// <summary>
/// The demo model's HF references (tests/fixtures/demo): per case the prompt + greedy continuation ids and the logits
/// at every position. Read directly (safetensors: u64 header length, JSON header, raw little-endian data).
/// </summary>
internal sealed class DemoReference
{
    private readonly byte[] _file;
    private readonly int _dataStart;
    private readonly JsonElement _header;

    private DemoReference(byte[] file)
    {
        _file = file;
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        _header = JsonDocument.Parse(file.AsMemory(8, headerLength)).RootElement.Clone();
        _dataStart = 8 + headerLength;
    }

    public static DemoReference Load() => new(File.ReadAllBytes(Path.Combine(TestPaths.Fixture("demo"), "reference.safetensors")));

    /// <summary>(case, prompt_len, total_len) from reference.json.</summary>
    public static IEnumerable<(int Case, int PromptLength, int TotalLength)> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixture("demo"), "reference.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => (c.GetProperty("case").GetInt32(), c.GetProperty("prompt_len").GetInt32(), c.GetProperty("total_len").GetInt32()))
            .ToArray();
    }

    public int[] InputIds(int c) => Read($"case{c}.input_ids", "I64", 8, (s, i) => checked((int)BinaryPrimitives.ReadInt64LittleEndian(s[(8 * i)..])));

    /// <summary>[T, vocab] row-major and the vocab width.</summary>
    public (float[] Logits, int Width) Logits(int c)
    {
        var width = _header.GetProperty($"case{c}.logits").GetProperty("shape")[1].GetInt32();
        return (Read($"case{c}.logits", "F32", 4, (s, i) => BinaryPrimitives.ReadSingleLittleEndian(s[(4 * i)..])), width);
    }

    private T[] Read<T>(string name, string dtype, int size, Func<ReadOnlySpan<byte>, int, T> element)
    {
        var entry = _header.GetProperty(name);
        Assert.Equal(dtype, entry.GetProperty("dtype").GetString());
        var offsets = entry.GetProperty("data_offsets");
        var start = _dataStart + offsets[0].GetInt32();
        var bytes = _file.AsSpan(start, offsets[1].GetInt32() - offsets[0].GetInt32());
        var result = new T[bytes.Length / size];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = element(bytes, i);
        }
        return result;
    }
}
