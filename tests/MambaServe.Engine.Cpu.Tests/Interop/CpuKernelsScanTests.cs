using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Interop;
using TorchSharp;

namespace MambaServe.Engine.Cpu.Tests.Interop;

public sealed class CpuKernelsScanTests
{
    private const double Atol = 1e-4;
    private const double Rtol = 1e-4;

    // batch, seqlen, dim, dstate, full (gate + D + dt_bias + softplus), seed. dim 20 is not a multiple of the
    // kernel's channel block.
    public static TheoryData<int, int, int, int, bool, int> Shapes => new()
    {
        { 1, 1, 24, 16, true, 11 },
        { 1, 7, 24, 8, true, 12 },
        { 5, 64, 24, 16, true, 13 },
        { 5, 300, 20, 8, true, 14 },
        { 1, 300, 24, 16, false, 15 },
        { 5, 7, 20, 16, false, 16 },
        { 5, 1, 24, 8, true, 17 },
        { 1, 64, 40, 16, true, 18 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SelectiveScanFwd_RandomInputs_MatchesTorchReference(
        int batch, int seqLen, int dim, int dstate, bool full, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var c = new ScanCase(seed, batch, seqLen, dim, dstate, full);

        CpuKernels.SelectiveScanFwd(c.Params(0, seqLen));

        var (y, pool) = c.Reference();
        KernelData.AssertClose(y, c.Output(), Atol, Rtol, "out");
        KernelData.AssertClose(pool, c.PoolTensor(), Atol, Rtol, "state pool (untouched slots included)");
        Assert.True(c.PaddingUntouched(), "the kernel wrote outside the out view");
    }

    [Theory]
    [InlineData(1, 21)]
    [InlineData(5, 22)]
    public void SelectiveScanFwd_ChunksCarryingStateThroughSlot_EqualsOneLongScan(int batch, int seed)
    {
        using var scope = torch.NewDisposeScope();
        const int seqLen = 64;
        var chunked = new ScanCase(seed, batch, seqLen, 24, 16, full: true);
        var whole = new ScanCase(seed, batch, seqLen, 24, 16, full: true);

        CpuKernels.SelectiveScanFwd(chunked.Params(0, 1));
        CpuKernels.SelectiveScanFwd(chunked.Params(1, 7));
        CpuKernels.SelectiveScanFwd(chunked.Params(8, seqLen - 8));
        CpuKernels.SelectiveScanFwd(whole.Params(0, seqLen));

        KernelData.AssertClose(whole.Output(), chunked.Output(), 1e-5, 1e-5, "out");
        KernelData.AssertClose(whole.PoolTensor(), chunked.PoolTensor(), 1e-5, 1e-5, "state pool");
    }

    [Fact]
    public void BackendName_CpuLibrary_IsCpu() => Assert.Equal("cpu", CpuKernels.BackendName);
}
