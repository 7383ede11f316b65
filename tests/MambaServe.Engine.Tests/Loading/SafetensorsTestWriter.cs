using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace MambaServe.Engine.Tests.Loading;

/// <summary>Writes safetensors files for tests (fp32 / fp16 / bf16 from fp32 values, or raw bytes).</summary>
internal static class SafetensorsTestWriter
{
    public sealed record Entry(string Name, string DType, long[] Shape, byte[] Data);

    public static Entry Float(string name, long[] shape, float[] values, string dtype = "F32") =>
        new(name, dtype, shape, Encode(values, dtype));

    public static byte[] Encode(float[] values, string dtype) => dtype switch
    {
        "F32" => MemoryMarshal.AsBytes(values.AsSpan()).ToArray(),
        "F16" => values.SelectMany(v =>
        {
            var bytes = new byte[2];
            BinaryPrimitives.WriteHalfLittleEndian(bytes, (Half)v);
            return bytes;
        }).ToArray(),
        "BF16" => values.SelectMany(v =>
        {
            var bytes = new byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)(BitConverter.SingleToInt32Bits(v) >>> 16));
            return bytes;
        }).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static void Write(string path, IEnumerable<Entry> entries)
    {
        var list = entries.ToList();
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        long offset = 0;
        foreach (var entry in list)
        {
            header[entry.Name] = new { dtype = entry.DType, shape = entry.Shape, data_offsets = new[] { offset, offset + entry.Data.Length } };
            offset += entry.Data.Length;
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, json.Length);
        stream.Write(length);
        stream.Write(json);
        foreach (var entry in list)
        {
            stream.Write(entry.Data);
        }
    }
}
