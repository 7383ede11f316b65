using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Interop;
using TorchSharp;

namespace MambaServe.Engine.Cpu.Tests.Interop;

public sealed class CpuKernelsRmsNormTests
{
    [Theory]
    [InlineData(1, 24, true, 81)]
    [InlineData(5, 64, true, 82)]
    [InlineData(37, 40, false, 83)]
    [InlineData(7, 256, true, 84)]
    public void RmsNormResidual_RandomRows_MatchesTorchReference(int rows, int dim, bool withX, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(seed);
        // Strided rows everywhere: x is a view into a wider buffer, residual and out have padded rows.
        int xStride = dim + 5, resStride = dim + 1, outStride = dim + 2;
        var x = KernelData.Uniform(rng, rows * xStride, -3f, 3f);
        var residual = KernelData.Uniform(rng, rows * resStride, -3f, 3f);
        var initialResidual = (float[])residual.Data.Clone();
        var weight = KernelData.Uniform(rng, dim, 0.5f, 1.5f);
        var output = KernelData.Poisoned(rows * outStride);
        const float eps = 1e-5f;

        CpuKernels.RmsNormResidual(new MsvRmsNormParams
        {
            Rows = rows, Dim = dim, Dtype = MsvDtype.F32, X = withX ? x.At(1) : 0, XRowStride = xStride,
            Residual = residual.Ptr, ResidualRowStride = resStride, Out = output.Ptr, OutRowStride = outStride,
            Weight = weight.Ptr, Eps = eps,
        });

        var xT = withX ? KernelData.T(x.Data, rows, xStride).narrow(1, 1, dim) : null;
        var resT = KernelData.T(initialResidual, rows, resStride).narrow(1, 0, dim);
        var (expectedOut, expectedRes) = TorchReference.RmsNorm(xT, resT, KernelData.T(weight.Data, dim), eps);
        var actualOut = KernelData.T(output.Data, rows, outStride);
        var actualRes = KernelData.T(residual.Data, rows, resStride);
        KernelData.AssertClose(expectedOut, actualOut.narrow(1, 0, dim), 1e-5, 1e-5, "out");
        KernelData.AssertClose(expectedRes, actualRes.narrow(1, 0, dim), 1e-6, 1e-6, "residual");
        Assert.True(actualOut.narrow(1, dim, 2).isnan().all().item<bool>(), "the kernel wrote outside the out view");
        // The residual's padding column keeps its value.
        KernelData.AssertClose(
            KernelData.T(initialResidual, rows, resStride).narrow(1, dim, 1), actualRes.narrow(1, dim, 1), 0, 0, "pad");
    }
}
