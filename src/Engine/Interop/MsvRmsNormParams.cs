using System.Runtime.InteropServices;

namespace MambaServe.Engine.Interop;

/// <summary>
/// Mirror of <c>msv_rmsnorm_params</c> (mambaserve.h), field by field: <c>residual += x</c> (when X is not 0), then
/// <c>out = residual * rsqrt(mean(residual^2) + eps) * weight</c>, per row. Residual is fp32.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvRmsNormParams
{
    public int Rows, Dim;
    public MsvDtype Dtype;
    /// <summary>0: norm only.</summary>
    public nint X; public long XRowStride;
    public nint Residual; public long ResidualRowStride;
    public nint Out; public long OutRowStride;
    public nint Weight;
    public float Eps;
}
