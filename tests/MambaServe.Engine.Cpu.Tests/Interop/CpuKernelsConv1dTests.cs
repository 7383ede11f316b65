using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Interop;
using TorchSharp;

namespace MambaServe.Engine.Cpu.Tests.Interop;

public sealed class CpuKernelsConv1dTests
{
    private const double Tol = 1e-5;

    // batch, seqlen, dim, width, full (bias + silu), seed
    public static TheoryData<int, int, int, int, bool, int> Shapes => new()
    {
        { 1, 1, 24, 4, true, 51 },
        { 5, 1, 24, 2, false, 52 },
        { 1, 7, 70, 3, true, 53 },
        { 5, 7, 24, 4, false, 54 },
        { 5, 64, 24, 4, true, 55 },
        { 1, 64, 24, 2, true, 56 },
        { 5, 300, 20, 3, true, 57 },
        { 1, 300, 130, 4, true, 58 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void CausalConv1dFwd_RandomInputs_MatchesTorchConv1d(
        int batch, int seqLen, int dim, int width, bool full, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var c = new ConvCase(seed, batch, seqLen, dim, width, full);

        CpuKernels.CausalConv1dFwd(c.Params(0, seqLen));

        var (expected, pool) = c.Reference();
        KernelData.AssertClose(expected, c.Output(), Tol, Tol, "out");
        KernelData.AssertClose(pool, c.PoolTensor(), 0, 0, "conv state pool (untouched slots included)");
        Assert.True(c.PaddingUntouched(), "the kernel wrote outside the out view");
    }

    [Theory]
    [InlineData(1, 2, 61)]
    [InlineData(5, 3, 62)]
    [InlineData(5, 4, 63)]
    public void CausalConv1dFwd_ChunksCarryingConvState_EqualsOnePass(int batch, int width, int seed)
    {
        using var scope = torch.NewDisposeScope();
        const int seqLen = 64;
        var chunked = new ConvCase(seed, batch, seqLen, 24, width, full: true);
        var whole = new ConvCase(seed, batch, seqLen, 24, width, full: true);

        CpuKernels.CausalConv1dFwd(chunked.Params(0, 1));
        CpuKernels.CausalConv1dFwd(chunked.Params(1, 7));
        CpuKernels.CausalConv1dFwd(chunked.Params(8, seqLen - 8));
        CpuKernels.CausalConv1dFwd(whole.Params(0, seqLen));

        KernelData.AssertClose(whole.Output(), chunked.Output(), 1e-6, 1e-6, "out");
        KernelData.AssertClose(whole.PoolTensor(), chunked.PoolTensor(), 0, 0, "conv state pool");
    }

    [Theory]
    [InlineData(1, 4, true, 71)]
    [InlineData(5, 3, true, 72)]
    [InlineData(5, 2, false, 73)]
    public void CausalConv1dUpdate_OneToken_MatchesTorchAndFwdWithSeqLen1(int batch, int width, bool full, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var update = new ConvCase(seed, batch, 1, 24, width, full);
        var fwd = new ConvCase(seed, batch, 1, 24, width, full);

        CpuKernels.CausalConv1dUpdate(update.Params(0, 1));
        CpuKernels.CausalConv1dFwd(fwd.Params(0, 1));

        var (expected, pool) = update.Reference();
        KernelData.AssertClose(expected, update.Output(), Tol, Tol, "out vs torch");
        KernelData.AssertClose(pool, update.PoolTensor(), 0, 0, "conv state pool vs torch");
        KernelData.AssertClose(fwd.Output(), update.Output(), 0, 0, "out vs fwd L=1");
        Assert.True(update.PaddingUntouched(), "the kernel wrote outside the out view");
    }
}
