using System.Runtime.InteropServices;

namespace MambaServe.Engine.Interop;

/// <summary>
/// Mirror of <c>msv_scan_params</c> (mambaserve.h), field by field: selective scan over a chunk. Strides are in
/// elements; activations are token-major (<c>ptr[b * BatchStride + t * RowStride + c]</c>); batch entry b reads and
/// writes state slot <c>SlotIdx[b]</c> at <c>State + SlotIdx[b] * StateSlotStride</c> (fp32 [Dim, DState]).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvScanParams
{
    public int Batch, Dim, DState, SeqLen;
    public MsvDtype Dtype;
    public nint U; public long UBatchStride, URowStride;
    public nint Delta; public long DeltaBatchStride, DeltaRowStride;
    public nint B; public long BBatchStride, BRowStride;
    public nint C; public long CBatchStride, CRowStride;
    /// <summary>Gate; 0 for none.</summary>
    public nint Z; public long ZBatchStride, ZRowStride;
    public nint Out; public long OutBatchStride, OutRowStride;
    /// <summary>float [Dim, DState], already -exp(A_log).</summary>
    public nint A;
    /// <summary>float [Dim] or 0.</summary>
    public nint D;
    /// <summary>float [Dim] or 0.</summary>
    public nint DtBias;
    /// <summary>Nonzero: dt = softplus(delta + dt_bias).</summary>
    public int DeltaSoftplus;
    public nint State; public long StateSlotStride;
    /// <summary>int [Batch], distinct slots.</summary>
    public nint SlotIdx;
}
