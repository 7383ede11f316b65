using MambaServe.Engine.Backends;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Gpu;

/// <summary>
/// The weight type the model keeps (<c>--dtype</c>): float32 is the exactness mode; auto is bf16 unless the
/// checkpoint stores fp16 (then fp16, which it was trained or converted in). The reference library computes in fp32
/// only, so there auto is fp32 and the half types are refused.
/// </summary>
internal static class WeightDTypes
{
    /// <summary>The type asked for, or null when it depends on the checkpoint (auto on a GPU).</summary>
    /// <exception cref="SettingNotSupportedException">A half type on the reference library.</exception>
    public static MsvDtype? Requested(ModelDType dtype, bool referenceLibrary) => dtype switch
    {
        ModelDType.Float32 => MsvDtype.F32,
        ModelDType.Auto when referenceLibrary => MsvDtype.F32,
        ModelDType.Auto => null,
        _ when referenceLibrary => throw new SettingNotSupportedException(
            $"dtype {dtype.ToString().ToLowerInvariant()} is not supported by the reference model library, which computes in float32: use auto or float32."),
        ModelDType.BFloat16 => MsvDtype.BF16,
        ModelDType.Float16 => MsvDtype.F16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Auto's choice from the dtype the checkpoint stores its first (largest) tensor in.</summary>
    public static MsvDtype ForStored(TensorDType stored) => stored == TensorDType.Float16 ? MsvDtype.F16 : MsvDtype.BF16;

    public static MsvDtype Source(TensorDType stored) => stored switch
    {
        TensorDType.Float32 => MsvDtype.F32,
        TensorDType.Float16 => MsvDtype.F16,
        TensorDType.BFloat16 => MsvDtype.BF16,
        _ => throw new CheckpointException($"A {stored} tensor cannot be a weight."),
    };

    public static string Name(MsvDtype dtype) => dtype switch
    {
        MsvDtype.F32 => "fp32",
        MsvDtype.F16 => "fp16",
        _ => "bf16",
    };

    public static int Size(MsvDtype dtype) => dtype == MsvDtype.F32 ? 4 : 2;
}
