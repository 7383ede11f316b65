using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Interop;
using TorchSharp;

namespace MambaServe.Engine.Cpu.Tests.Interop;

public sealed class CpuKernelsLinearTests
{
    [Theory]
    [InlineData(1, 768, 3072, true, 91)]   // mamba-130m in_proj at batch 1
    [InlineData(3, 48, 1536, false, 92)]   // dt_proj
    [InlineData(16, 1536, 80, false, 93)]  // x_proj at the largest native batch
    [InlineData(5, 37, 11, true, 94)]      // sizes that are no multiple of the vector or block width
    public void Linear_RandomInputs_MatchesTorchLinear(int rows, int inFeatures, int outFeatures, bool withBias, int seed)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Random(seed);
        // Strided rows: x and out are views into wider buffers, so unwritten padding must stay NaN.
        int xStride = inFeatures + 3, outStride = outFeatures + 2;
        var x = KernelData.Uniform(rng, rows * xStride, -2f, 2f);
        var weight = KernelData.Uniform(rng, outFeatures * inFeatures, -0.5f, 0.5f);
        var bias = KernelData.Uniform(rng, outFeatures, -1f, 1f);
        var output = KernelData.Poisoned(rows * outStride);

        CpuKernels.Linear(new MsvLinearParams
        {
            Rows = rows, InFeatures = inFeatures, OutFeatures = outFeatures, X = x.Ptr, XRowStride = xStride,
            Weight = weight.Ptr, Bias = withBias ? bias.Ptr : 0, Out = output.Ptr, OutRowStride = outStride,
        });

        var expected = torch.nn.functional.linear(
            KernelData.T(x.Data, rows, xStride).narrow(1, 0, inFeatures).to(torch.float64),
            KernelData.T(weight.Data, outFeatures, inFeatures).to(torch.float64),
            withBias ? KernelData.T(bias.Data, outFeatures).to(torch.float64) : null);
        var actual = KernelData.T(output.Data, rows, outStride);
        KernelData.AssertClose(expected, actual.narrow(1, 0, outFeatures), 1e-4, 1e-4, "out");
        Assert.True(actual.narrow(1, outFeatures, 2).isnan().all().item<bool>(), "the kernel wrote outside the out view");
    }

    // The kernel tiles weight rows by three and input rows by two; every pair must still be summed in the one order a
    // row gets alone, so that a sequence's logits do not depend on its batch (CpuModelRunnerSlotTests relies on it).
    // Sizes: 16 and 47 outputs leave one and two weight rows outside the tiles; K = 101 has whole 64- and 16-float
    // steps and a scalar tail.
    [Theory]
    [InlineData(47, 101, 95)]
    [InlineData(16, 1536, 96)]
    public void Linear_EveryRowCountUpTo16_EachRowBitIdenticalToTheRowAlone(int outFeatures, int inFeatures, int seed)
    {
        var rng = new Random(seed);
        const int maxRows = 16;
        var x = KernelData.Uniform(rng, maxRows * inFeatures, -2f, 2f);
        var weight = KernelData.Uniform(rng, outFeatures * inFeatures, -0.5f, 0.5f);
        var bias = KernelData.Uniform(rng, outFeatures, -1f, 1f);
        var alone = KernelData.Poisoned(maxRows * outFeatures);
        for (var r = 0; r < maxRows; r++)
        {
            CpuKernels.Linear(Params(1, x.At(r * inFeatures), alone.At(r * outFeatures)));
        }

        for (var rows = 2; rows <= maxRows; rows++)
        {
            var batched = KernelData.Poisoned(rows * outFeatures);
            CpuKernels.Linear(Params(rows, x.Ptr, batched.Ptr));
            Assert.Equal(alone.Data.AsSpan(0, rows * outFeatures).ToArray(), batched.Data);
        }

        MsvLinearParams Params(int rows, nint input, nint output) => new()
        {
            Rows = rows, InFeatures = inFeatures, OutFeatures = outFeatures, X = input, XRowStride = inFeatures,
            Weight = weight.Ptr, Bias = bias.Ptr, Out = output, OutRowStride = outFeatures,
        };
    }

    // A bf16 weight is widened exactly as it is loaded and summed in the fp32 weight's order, so every row count gives
    // the outputs of the fp32 weight holding the widened values bit for bit (the engine's bf16-stored checkpoints rely
    // on it for auto to equal float32). K = 101 and 47 outputs cover the vector steps, the scalar tail and odd tiles.
    [Theory]
    [InlineData(47, 101, 97)]
    [InlineData(33, 1536, 98)]
    public void Linear_Bf16Weight_EveryRowCount_BitIdenticalToItsFp32Widening(int outFeatures, int inFeatures, int seed)
    {
        var rng = new Random(seed);
        const int maxRows = 16;
        var x = KernelData.Uniform(rng, maxRows * inFeatures, -2f, 2f);
        var weight = KernelData.Uniform(rng, outFeatures * inFeatures, -0.5f, 0.5f);
        var bits = new Pinned<ushort>(weight.Data.Select(Bf16.FromFloat).ToArray());
        var widened = new Pinned<float>(bits.Data.Select(Bf16.ToFloat).ToArray());

        var bias = KernelData.Uniform(rng, outFeatures, -1f, 1f);
        for (var rows = 1; rows <= maxRows; rows++)
        {
            var fromFp32 = KernelData.Poisoned(rows * outFeatures);
            var fromBf16 = KernelData.Poisoned(rows * outFeatures);
            CpuKernels.Linear(Params(rows, widened.Ptr, MsvDtype.F32, fromFp32.Ptr));
            CpuKernels.Linear(Params(rows, bits.Ptr, MsvDtype.BF16, fromBf16.Ptr));
            Assert.Equal(fromFp32.Data, fromBf16.Data);
        }

        MsvLinearParams Params(int rows, nint weight, MsvDtype dtype, nint output) => new()
        {
            Rows = rows, InFeatures = inFeatures, OutFeatures = outFeatures, WeightDtype = dtype, X = x.Ptr,
            XRowStride = inFeatures, Weight = weight, Bias = bias.Ptr, Out = output, OutRowStride = outFeatures,
        };
    }

    [Fact]
    public void Linear_Fp16Weight_RefusedNamingTheField()
    {
        var x = new Pinned<float>(4);
        var weight = new Pinned<ushort>(16);
        var output = new Pinned<float>(4);
        var e = Assert.Throws<NativeKernelException>(() => CpuKernels.Linear(new MsvLinearParams
        {
            Rows = 1, InFeatures = 4, OutFeatures = 4, WeightDtype = MsvDtype.F16, X = x.Ptr, XRowStride = 4,
            Weight = weight.Ptr, Out = output.Ptr, OutRowStride = 4,
        }));
        Assert.Equal(MsvStatus.InvalidArgument, e.Status);
        Assert.Contains("weight_dtype", e.Message);
    }

    [Fact]
    public void Linear_NullWeight_ThrowsNamingTheField()
    {
        var x = new Pinned<float>(4);
        var output = new Pinned<float>(4);
        var e = Assert.Throws<NativeKernelException>(() => CpuKernels.Linear(new MsvLinearParams
        {
            Rows = 1, InFeatures = 4, OutFeatures = 4, X = x.Ptr, XRowStride = 4, Out = output.Ptr, OutRowStride = 4,
        }));
        Assert.Equal(MsvStatus.InvalidArgument, e.Status);
        Assert.Contains("weight", e.Message);
    }
}
