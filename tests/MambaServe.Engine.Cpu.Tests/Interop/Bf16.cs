namespace MambaServe.Engine.Cpu.Tests.Interop;

/// <summary>bfloat16 bit patterns (the top half of a float32), rounded to nearest even like torch.</summary>
internal static class Bf16
{
    public static ushort FromFloat(float f)
    {
        var bits = BitConverter.SingleToUInt32Bits(f);
        bits += 0x7fffu + ((bits >> 16) & 1u);
        return (ushort)(bits >> 16);
    }

    public static float ToFloat(ushort b) => BitConverter.UInt32BitsToSingle((uint)b << 16);
}
