using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Backends;

/// <summary>
/// The bytes of an exported fp32 state snapshot (<see cref="IModelRunner.ExportSnapshot"/>): a 28-byte little-endian
/// header (magic "MSVS", format version 1, SSM state dtype 0 = fp32, then n_layer, d_inner, d_conv and d_state as
/// int32), the conv state fp32 [layers, d_inner, d_conv - 1], then the SSM state fp32 [layers, d_inner, d_state]. The
/// header makes an import into a runner of another model shape fail with a clear error instead of restoring garbage.
/// </summary>
public static class StateSnapshotFormat
{
    public const int HeaderBytes = 28;
    private const uint Magic = 0x5356534D; // "MSVS" read as a little-endian uint32
    private const ushort Version = 1;
    private const ushort Fp32 = 0;

    public static byte[] Write(MambaConfig config, ReadOnlySpan<float> conv, ReadOnlySpan<float> ssm)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (conv.Length != config.ConvStateElementsPerSlot || ssm.Length != config.SsmStateElementsPerSlot)
        {
            throw new ArgumentException("The state does not have this model's shape.");
        }

        var bytes = new byte[HeaderBytes + (conv.Length + ssm.Length) * sizeof(float)];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], Fp32);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], config.NLayer);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], config.DInner);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], config.DConv);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], config.DState);
        MemoryMarshal.AsBytes(conv).CopyTo(span[HeaderBytes..]);
        MemoryMarshal.AsBytes(ssm).CopyTo(span[(HeaderBytes + conv.Length * sizeof(float))..]);
        return bytes;
    }

    /// <exception cref="ArgumentException">Not this format, or a state of another model shape.</exception>
    public static (float[] Conv, float[] Ssm) Read(MambaConfig config, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (bytes.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
        {
            throw new ArgumentException("Not an exported state snapshot (no MSVS header).", nameof(bytes));
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]) != Version || BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]) != Fp32)
        {
            throw new ArgumentException("The snapshot was written in a format version or state dtype this runner does not read.", nameof(bytes));
        }

        int layers = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]), inner = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        int convWidth = BinaryPrimitives.ReadInt32LittleEndian(bytes[16..]), state = BinaryPrimitives.ReadInt32LittleEndian(bytes[20..]);
        if (layers != config.NLayer || inner != config.DInner || convWidth != config.DConv || state != config.DState)
        {
            throw new ArgumentException(
                $"The snapshot is of a model with {layers} layers, d_inner {inner}, d_conv {convWidth}, d_state {state}; " +
                $"this runner's has {config.NLayer}, {config.DInner}, {config.DConv}, {config.DState}.", nameof(bytes));
        }

        long expected = HeaderBytes + (config.ConvStateElementsPerSlot + config.SsmStateElementsPerSlot) * sizeof(float);
        if (bytes.Length != expected)
        {
            throw new ArgumentException($"The snapshot holds {bytes.Length} bytes; {expected} expected.", nameof(bytes));
        }

        var data = MemoryMarshal.Cast<byte, float>(bytes[HeaderBytes..]);
        var conv = data[..(int)config.ConvStateElementsPerSlot].ToArray();
        var ssm = data[(int)config.ConvStateElementsPerSlot..].ToArray();
        return (conv, ssm);
    }
}
