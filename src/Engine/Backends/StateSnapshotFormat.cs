using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MambaServe.Engine.Loading;
using MambaServe.Engine.State;

namespace MambaServe.Engine.Backends;

/// <summary>
/// The bytes of an exported state snapshot (<see cref="IModelRunner.ExportSnapshot"/>), the same for every backend
/// and the native libraries (src/Native/model/snapshot_format.h), so an export moves between runners of one model:
/// a 32-byte little-endian header (magic "MSVSNAP1", then n_layer, d_inner, d_conv, d_state, the SSM state dtype as
/// msv_dtype and a reserved 0, all int32), the conv state fp32 [layers, d_inner, d_conv - 1], then the SSM state
/// [layers, d_inner, d_state] in that dtype (fp32, or bf16 bits). An import into a runner of another shape or state
/// dtype fails saying which.
/// </summary>
public static class StateSnapshotFormat
{
    public const int HeaderBytes = 32;
    private static ReadOnlySpan<byte> Magic => "MSVSNAP1"u8;

    /// <param name="ssm">fp32 values; with a bf16 state they are rounded to bf16 (exact for values a bf16 pool holds).</param>
    public static byte[] Write(MambaConfig config, StateDType ssmDType, ReadOnlySpan<float> conv, ReadOnlySpan<float> ssm)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (conv.Length != config.ConvStateElementsPerSlot || ssm.Length != config.SsmStateElementsPerSlot)
        {
            throw new ArgumentException("The state does not have this model's shape.");
        }

        var bytes = new byte[Size(config, ssmDType)];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        int[] fields = [config.NLayer, config.DInner, config.DConv, config.DState, DTypeCode(ssmDType), 0];
        MemoryMarshal.AsBytes(fields.AsSpan()).CopyTo(span[8..]);
        MemoryMarshal.AsBytes(conv).CopyTo(span[HeaderBytes..]);
        var ssmBytes = span[(HeaderBytes + conv.Length * sizeof(float))..];
        if (ssmDType == StateDType.Float32)
        {
            MemoryMarshal.AsBytes(ssm).CopyTo(ssmBytes);
        }
        else
        {
            for (int i = 0; i < ssm.Length; i++)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(ssmBytes[(2 * i)..], ToBFloat16(ssm[i]));
            }
        }

        return bytes;
    }

    /// <summary>The conv and SSM state, both widened to fp32.</summary>
    /// <exception cref="ArgumentException">Not this format, or a state of another shape or state dtype.</exception>
    public static (float[] Conv, float[] Ssm) Read(MambaConfig config, StateDType ssmDType, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (bytes.Length < HeaderBytes || !bytes[..8].SequenceEqual(Magic))
        {
            throw new ArgumentException("Not an exported state snapshot (no MSVSNAP1 header).", nameof(bytes));
        }

        var h = MemoryMarshal.Cast<byte, int>(bytes[8..HeaderBytes]);
        if (h[0] != config.NLayer || h[1] != config.DInner || h[2] != config.DConv || h[3] != config.DState || h[4] != DTypeCode(ssmDType))
        {
            throw new ArgumentException(
                $"The snapshot is of a model with n_layer {h[0]}, d_inner {h[1]}, d_conv {h[2]}, d_state {h[3]}, state dtype {h[4]}; " +
                $"this runner's has {config.NLayer}, {config.DInner}, {config.DConv}, {config.DState}, {DTypeCode(ssmDType)}.", nameof(bytes));
        }

        if (bytes.Length != Size(config, ssmDType))
        {
            throw new ArgumentException($"The snapshot holds {bytes.Length} bytes; {Size(config, ssmDType)} expected.", nameof(bytes));
        }

        int convCount = (int)config.ConvStateElementsPerSlot;
        var conv = MemoryMarshal.Cast<byte, float>(bytes.Slice(HeaderBytes, convCount * sizeof(float))).ToArray();
        var ssmBytes = bytes[(HeaderBytes + convCount * sizeof(float))..];
        var ssm = Float32Converter.ToFloat32(ssmBytes, ssmDType == StateDType.Float32 ? TensorDType.Float32 : TensorDType.BFloat16);
        return (conv, ssm);
    }

    /// <summary>Bytes of an export for this model and state dtype.</summary>
    public static long Size(MambaConfig config, StateDType ssmDType) =>
        HeaderBytes + config.ConvStateElementsPerSlot * sizeof(float)
        + config.SsmStateElementsPerSlot * (ssmDType == StateDType.BFloat16 ? 2 : sizeof(float));

    /// <summary>msv_dtype's value: MSV_F32 = 0, MSV_BF16 = 2.</summary>
    private static int DTypeCode(StateDType dtype) => dtype == StateDType.BFloat16 ? 2 : 0;

    /// <summary>Round to nearest even, as torch converts fp32 to bf16 (NaN stays NaN).</summary>
    private static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }
}
