using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Tests.Loading;

/// <summary>Element-wise comparison of two weight sets, with a relative tolerance for lower-precision copies.</summary>
internal static class WeightAssert
{
    public static void Equal(MambaWeights expected, MambaWeights actual, float relativeTolerance = 0f)
    {
        Arrays("embedding", expected.Embedding, actual.Embedding, relativeTolerance);
        Arrays("norm_f", expected.NormF, actual.NormF, relativeTolerance);
        Arrays("lm_head", expected.LmHead, actual.LmHead, relativeTolerance);
        Assert.Equal(expected.Layers.Count, actual.Layers.Count);
        for (var i = 0; i < expected.Layers.Count; i++)
        {
            var (e, a) = (expected.Layers[i], actual.Layers[i]);
            Arrays($"{i}.norm", e.Norm, a.Norm, relativeTolerance);
            Arrays($"{i}.in_proj", e.InProj, a.InProj, relativeTolerance);
            Arrays($"{i}.in_proj_bias", e.InProjBias, a.InProjBias, relativeTolerance);
            Arrays($"{i}.conv", e.ConvWeight, a.ConvWeight, relativeTolerance);
            Arrays($"{i}.conv_bias", e.ConvBias, a.ConvBias, relativeTolerance);
            Arrays($"{i}.x_proj", e.XProj, a.XProj, relativeTolerance);
            Arrays($"{i}.dt_proj", e.DtProj, a.DtProj, relativeTolerance);
            Arrays($"{i}.dt_bias", e.DtProjBias, a.DtProjBias, relativeTolerance);
            Arrays($"{i}.A_log", e.ALog, a.ALog, relativeTolerance);
            Arrays($"{i}.D", e.D, a.D, relativeTolerance);
            Arrays($"{i}.out_proj", e.OutProj, a.OutProj, relativeTolerance);
            Arrays($"{i}.out_proj_bias", e.OutProjBias, a.OutProjBias, relativeTolerance);
        }
    }

    private static void Arrays(string what, float[]? expected, float[]? actual, float relativeTolerance)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{what}: one side is null");
            return;
        }

        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var limit = relativeTolerance * Math.Abs(expected[i]) + 1e-7f * (relativeTolerance > 0 ? 1 : 0);
            if (Math.Abs(expected[i] - actual[i]) > limit)
            {
                Assert.Fail($"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
            }
        }
    }
}
