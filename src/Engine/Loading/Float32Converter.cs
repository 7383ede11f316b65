using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace MambaServe.Engine.Loading;

/// <summary>Upcasts little-endian fp32 / fp16 / bf16 bytes to an fp32 array.</summary>
internal static class Float32Converter
{
    public static int ElementSize(TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => 4,
        TensorDType.Int64 => 8,
        _ => 2,
    };

    public static float[] ToFloat32(ReadOnlySpan<byte> bytes, TensorDType dtype)
    {
        var result = new float[bytes.Length / ElementSize(dtype)];
        switch (dtype)
        {
            case TensorDType.Float32:
                if (BitConverter.IsLittleEndian)
                {
                    bytes.CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
                }
                else
                {
                    for (var i = 0; i < result.Length; i++)
                    {
                        result[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
                    }
                }

                break;
            case TensorDType.Float16:
                for (var i = 0; i < result.Length; i++)
                {
                    result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]);
                }

                break;
            case TensorDType.BFloat16:
                // bf16 is the top half of an fp32, so widening is a shift (exact, no rounding).
                for (var i = 0; i < result.Length; i++)
                {
                    int bits = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]);
                    result[i] = BitConverter.Int32BitsToSingle(bits << 16);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unsupported dtype.");
        }

        return result;
    }
}
