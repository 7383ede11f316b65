using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Interop;
using TorchSharp;

namespace MambaServe.Engine.Cpu.Tests.Interop;

public sealed class CpuKernelsStateUpdateTests
{
    [Theory]
    [InlineData(1, 8, true, 31)]
    [InlineData(1, 16, false, 32)]
    [InlineData(5, 8, false, 33)]
    [InlineData(5, 16, true, 34)]
    public void SelectiveStateUpdate_RandomInputs_MatchesTorchReferenceAndScanWithSeqLen1(
        int batch, int dstate, bool full, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var update = new ScanCase(seed, batch, 1, 20, dstate, full);
        var scan = new ScanCase(seed, batch, 1, 20, dstate, full);

        CpuKernels.SelectiveStateUpdate(StateUpdateParams(update, MsvDtype.F32, update.Pool.Ptr));
        CpuKernels.SelectiveScanFwd(scan.Params(0, 1));

        var (y, pool) = update.Reference();
        KernelData.AssertClose(y, update.Output(), 1e-4, 1e-4, "out vs torch");
        KernelData.AssertClose(pool, update.PoolTensor(), 1e-4, 1e-4, "state pool vs torch");
        KernelData.AssertClose(scan.Output(), update.Output(), 1e-6, 1e-6, "out vs scan L=1");
        KernelData.AssertClose(scan.PoolTensor(), update.PoolTensor(), 1e-6, 1e-6, "state pool vs scan L=1");
        Assert.True(update.PaddingUntouched(), "the kernel wrote outside the out view");
    }

    [Theory]
    [InlineData(1, 16, 41)]
    [InlineData(5, 16, 42)]
    [InlineData(5, 8, 43)]
    public void SelectiveStateUpdate_Bf16State_MatchesFp32ReferenceWithinBf16Tolerance(int batch, int dstate, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var c = new ScanCase(seed, batch, 1, 20, dstate, full: true);
        // The fp32 reference starts from exactly the values the bf16 pool holds.
        var bf16Pool = new Pinned<ushort>(c.Pool.Data.Length);
        for (var i = 0; i < bf16Pool.Data.Length; i++)
        {
            bf16Pool.Data[i] = Bf16.FromFloat(c.Pool.Data[i]);
            c.InitialPool[i] = Bf16.ToFloat(bf16Pool.Data[i]);
        }

        CpuKernels.SelectiveStateUpdate(StateUpdateParams(c, MsvDtype.BF16, bf16Pool.Ptr));

        var (y, pool) = c.Reference();
        // y is computed from the fp32 state before it is rounded for storage: fp32 accuracy.
        KernelData.AssertClose(y, c.Output(), 1e-4, 1e-4, "out");
        var stored = KernelData.T(Array.ConvertAll(bf16Pool.Data, Bf16.ToFloat), c.Slots, c.Dim, c.DState);
        // One bf16 rounding: relative error <= 2^-9 (plus a little for the fp32 math before it).
        KernelData.AssertClose(pool, stored, 1e-5, 1.0 / 256, "bf16 state pool");
    }

    internal static MsvStateUpdateParams StateUpdateParams(ScanCase c, MsvDtype stateDtype, nint pool)
    {
        var s = c.Params(0, 1);
        return new MsvStateUpdateParams
        {
            Batch = s.Batch, Dim = s.Dim, DState = s.DState, Dtype = MsvDtype.F32, StateDtype = stateDtype,
            X = s.U, XBatchStride = s.UBatchStride, Delta = s.Delta, DeltaBatchStride = s.DeltaBatchStride,
            B = s.B, BBatchStride = s.BBatchStride, C = s.C, CBatchStride = s.CBatchStride,
            Z = s.Z, ZBatchStride = s.ZBatchStride, Out = s.Out, OutBatchStride = s.OutBatchStride,
            A = s.A, D = s.D, DtBias = s.DtBias, DeltaSoftplus = s.DeltaSoftplus,
            State = pool, StateSlotStride = s.StateSlotStride, SlotIdx = s.SlotIdx,
        };
    }
}
