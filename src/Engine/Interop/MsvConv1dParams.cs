using System.Runtime.InteropServices;

namespace MambaServe.Engine.Interop;

/// <summary>
/// Mirror of <c>msv_conv1d_params</c> (mambaserve.h), field by field: causal depthwise conv1d with a per-slot conv
/// state (fp32 [Dim, Width - 1]). The update variant takes SeqLen = 1. X and Out must not alias.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvConv1dParams
{
    public int Batch, Dim, SeqLen, Width;
    public MsvDtype Dtype;
    public nint X; public long XBatchStride, XRowStride;
    public nint Out; public long OutBatchStride, OutRowStride;
    /// <summary>float [Dim, Width].</summary>
    public nint Weight;
    /// <summary>float [Dim] or 0.</summary>
    public nint Bias;
    /// <summary>Nonzero: out = silu(out).</summary>
    public int Silu;
    public nint ConvState; public long StateSlotStride;
    public nint SlotIdx;
}
