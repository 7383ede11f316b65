using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Interop;

namespace MambaServe.Engine.Cpu.Tests.Interop;

public sealed class CpuKernelsArgumentTests
{
    [Theory]
    [InlineData("scan: u null", "msv_selective_scan_fwd: u is NULL", (int)MsvStatus.InvalidArgument)]
    [InlineData("scan: dim 0", "msv_selective_scan_fwd: dim must be > 0", (int)MsvStatus.InvalidArgument)]
    [InlineData("scan: state null", "msv_selective_scan_fwd: state is NULL", (int)MsvStatus.InvalidArgument)]
    [InlineData("scan: out rows overlap", "out_row_stride must be >= 24", (int)MsvStatus.InvalidArgument)]
    [InlineData("scan: negative slot", "slot_idx[0] is negative", (int)MsvStatus.InvalidArgument)]
    [InlineData("update: repeated slot", "slot_idx repeats slot", (int)MsvStatus.InvalidArgument)]
    [InlineData("scan: bf16 activations", "supports only MSV_F32", (int)MsvStatus.Unsupported)]
    [InlineData("update: dstate 0", "msv_selective_state_update: dstate must be > 0", (int)MsvStatus.InvalidArgument)]
    [InlineData("update: fp16 state", "state_dtype must be MSV_F32 or MSV_BF16", (int)MsvStatus.InvalidArgument)]
    [InlineData("update: slot_idx null", "msv_selective_state_update: slot_idx is NULL", (int)MsvStatus.InvalidArgument)]
    [InlineData("conv: width 0", "msv_causal_conv1d_fwd: width must be > 0", (int)MsvStatus.InvalidArgument)]
    [InlineData("conv: weight null", "msv_causal_conv1d_fwd: weight is NULL", (int)MsvStatus.InvalidArgument)]
    [InlineData("conv update: seqlen 7", "msv_causal_conv1d_update: seqlen must be 1", (int)MsvStatus.InvalidArgument)]
    [InlineData("conv: out aliases x", "msv_causal_conv1d_fwd: out must not alias x", (int)MsvStatus.InvalidArgument)]
    [InlineData("rmsnorm: weight null", "msv_rmsnorm_residual: weight is NULL", (int)MsvStatus.InvalidArgument)]
    [InlineData("rmsnorm: rows 0", "msv_rmsnorm_residual: rows must be > 0", (int)MsvStatus.InvalidArgument)]
    [InlineData("rmsnorm: eps negative", "msv_rmsnorm_residual: eps must be finite and >= 0", (int)MsvStatus.InvalidArgument)]
    public void Kernel_BadArgument_ThrowsNamingTheFieldAndWritesNothing(string scenario, string message, int status)
    {
        var scan = new ScanCase(91, 2, 7, 24, 8, full: true);
        var conv = new ConvCase(92, 2, 7, 24, 4, full: true);

        var ex = Assert.Throws<NativeKernelException>(() => Run(scenario, scan, conv));

        Assert.Equal((MsvStatus)status, ex.Status);
        Assert.Contains(message, ex.NativeMessage, StringComparison.Ordinal);
        Assert.All(scan.Out.Data, v => Assert.True(float.IsNaN(v)));
        Assert.All(conv.Out.Data, v => Assert.True(float.IsNaN(v)));
        Assert.Equal(scan.InitialPool, scan.Pool.Data);
    }

    private static void Run(string scenario, ScanCase scan, ConvCase conv)
    {
        var s = scan.Params(0, scan.SeqLen);
        var u = CpuKernelsStateUpdateTests.StateUpdateParams(scan, MsvDtype.F32, scan.Pool.Ptr);
        var c = conv.Params(0, conv.SeqLen);
        var weight = new Pinned<float>(24);
        var n = new MsvRmsNormParams
        {
            Rows = 7, Dim = 24, Dtype = MsvDtype.F32, Residual = scan.Xz.Ptr, ResidualRowStride = 48,
            Out = scan.Out.Ptr, OutRowStride = scan.OutRowStride, Weight = weight.Ptr, Eps = 1e-5f,
        };
        switch (scenario)
        {
            case "scan: u null": s.U = 0; CpuKernels.SelectiveScanFwd(s); break;
            case "scan: dim 0": s.Dim = 0; CpuKernels.SelectiveScanFwd(s); break;
            case "scan: state null": s.State = 0; CpuKernels.SelectiveScanFwd(s); break;
            case "scan: out rows overlap": s.OutRowStride = 10; CpuKernels.SelectiveScanFwd(s); break;
            case "scan: negative slot": scan.SlotIdx.Data[0] = -1; CpuKernels.SelectiveScanFwd(s); break;
            case "scan: bf16 activations": s.Dtype = MsvDtype.BF16; CpuKernels.SelectiveScanFwd(s); break;
            case "update: dstate 0": u.DState = 0; CpuKernels.SelectiveStateUpdate(u); break;
            case "update: repeated slot":
                scan.SlotIdx.Data[1] = scan.SlotIdx.Data[0];
                CpuKernels.SelectiveStateUpdate(u);
                break;
            case "update: fp16 state": u.StateDtype = MsvDtype.F16; CpuKernels.SelectiveStateUpdate(u); break;
            case "update: slot_idx null": u.SlotIdx = 0; CpuKernels.SelectiveStateUpdate(u); break;
            case "conv: width 0": c.Width = 0; CpuKernels.CausalConv1dFwd(c); break;
            case "conv: weight null": c.Weight = 0; CpuKernels.CausalConv1dFwd(c); break;
            case "conv update: seqlen 7": CpuKernels.CausalConv1dUpdate(c); break;
            case "conv: out aliases x": c.Out = c.X; CpuKernels.CausalConv1dFwd(c); break;
            case "rmsnorm: weight null": n.Weight = 0; CpuKernels.RmsNormResidual(n); break;
            case "rmsnorm: rows 0": n.Rows = 0; CpuKernels.RmsNormResidual(n); break;
            case "rmsnorm: eps negative": n.Eps = -Random.Shared.NextSingle() - 1e-3f; CpuKernels.RmsNormResidual(n); break;
            default: throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "unknown scenario");
        }
    }
}
