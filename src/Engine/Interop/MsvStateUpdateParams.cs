using System.Runtime.InteropServices;

namespace MambaServe.Engine.Interop;

/// <summary>
/// Mirror of <c>msv_state_update_params</c> (mambaserve.h), field by field: the scan with one token per batch entry,
/// in place on the slot's state, which is fp32 or bf16 (<see cref="StateDtype"/>).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvStateUpdateParams
{
    public int Batch, Dim, DState;
    public MsvDtype Dtype;
    public MsvDtype StateDtype;
    public nint X; public long XBatchStride;
    public nint Delta; public long DeltaBatchStride;
    public nint B; public long BBatchStride;
    public nint C; public long CBatchStride;
    /// <summary>Gate; 0 for none.</summary>
    public nint Z; public long ZBatchStride;
    public nint Out; public long OutBatchStride;
    public nint A;
    public nint D;
    public nint DtBias;
    public int DeltaSoftplus;
    public nint State; public long StateSlotStride;
    public nint SlotIdx;
}
