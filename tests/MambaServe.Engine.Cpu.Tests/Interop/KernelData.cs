using TorchSharp;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu.Tests.Interop;

/// <summary>Seeded random host buffers and the torch views the reference math reads them through.</summary>
internal static class KernelData
{
    /// <summary>Uniform in [lo, hi).</summary>
    public static Pinned<float> Uniform(Random rng, int length, float lo = -1f, float hi = 1f)
    {
        var p = new Pinned<float>(length);
        for (var i = 0; i < length; i++)
        {
            p.Data[i] = lo + ((hi - lo) * rng.NextSingle());
        }

        return p;
    }

    /// <summary>Output buffers start as NaN so any element the kernel fails to write fails the comparison.</summary>
    public static Pinned<float> Poisoned(int length)
    {
        var p = new Pinned<float>(length);
        Array.Fill(p.Data, float.NaN);
        return p;
    }

    /// <summary>Mamba's A init: -exp(log(1..N)) per channel, jittered so channels differ.</summary>
    public static Pinned<float> StateMatrixA(Random rng, int dim, int dstate)
    {
        var p = new Pinned<float>(dim * dstate);
        for (var d = 0; d < dim; d++)
        {
            for (var n = 0; n < dstate; n++)
            {
                p.Data[(d * dstate) + n] = -(n + 1) * (0.5f + rng.NextSingle());
            }
        }

        return p;
    }

    /// <summary>The buffer as a float64 tensor of the given (full, contiguous) shape.</summary>
    public static Tensor T(float[] data, params long[] shape) =>
        torch.tensor(data, shape).to_type(ScalarType.Float64);

    /// <summary>Distinct, unsorted slot indices into a pool of <paramref name="slots"/> slots.</summary>
    public static Pinned<int> Slots(Random rng, int batch, int slots)
    {
        var all = Enumerable.Range(0, slots).ToArray();
        rng.Shuffle(all);
        return new Pinned<int>(all[..batch]);
    }

    public static void AssertClose(Tensor expected, Tensor actual, double atol, double rtol, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.False(actual.isnan().any().item<bool>(), $"{what}: NaN in output (an element was not written)");
        var diff = (expected - actual).abs().max().item<double>();
        Assert.True(actual.allclose(expected, rtol, atol), $"{what}: max abs diff {diff}");
    }
}
