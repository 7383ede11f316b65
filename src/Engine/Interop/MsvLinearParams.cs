using System.Runtime.InteropServices;

namespace MambaServe.Engine.Interop;

/// <summary>
/// Mirror of <c>msv_linear_params</c> (mambaserve.h), field by field: <c>out = x W^T + bias</c> for a few rows, fp32,
/// weight [OutFeatures, InFeatures] row-major. CPU backend only.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvLinearParams
{
    public int Rows, InFeatures, OutFeatures;
    public nint X; public long XRowStride;
    public nint Weight;
    /// <summary>float [OutFeatures] or 0.</summary>
    public nint Bias;
    public nint Out; public long OutRowStride;
}
