using System.Runtime.InteropServices;

namespace MambaServe.Engine.Interop;

/// <summary>
/// Mirror of <c>msv_linear_params</c> (mambaserve.h), field by field: <c>out = x W^T + bias</c> for a few rows, fp32
/// inputs and sums, weight [OutFeatures, InFeatures] row-major in fp32 or bf16. CPU backend only.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvLinearParams
{
    public int Rows, InFeatures, OutFeatures;
    /// <summary>F32 (the default of a zeroed struct) or BF16.</summary>
    public MsvDtype WeightDtype;
    public nint X; public long XRowStride;
    public nint Weight;
    /// <summary>float [OutFeatures] or 0.</summary>
    public nint Bias;
    public nint Out; public long OutRowStride;
}
