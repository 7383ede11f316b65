namespace MambaServe.Engine.Loading;

/// <summary>
/// Random weights of a given shape with the magnitudes of Mamba's initialisation (A from 1..d_state, dt around
/// 0.001..0.1, small projections), so benchmarks can run the shapes of public checkpoints (mamba-130m...) that this
/// machine cannot download. Never used for serving.
/// </summary>
public static class RandomCheckpoint
{
    /// <summary>The shape of state-spaces/mamba-130m (d_model 768, 24 layers, vocab 50280).</summary>
    public static MambaConfig Mamba130mShape { get; } = new(
        DModel: 768, NLayer: 24, VocabSize: 50280, UnpaddedVocabSize: 50277, DState: 16, DConv: 4, DInner: 1536,
        DtRank: 48, ProjBias: false, ConvBias: true, TieEmbeddings: true, NormEpsilon: 1e-5f, ResidualInFp32: true,
        EosTokenId: 0, BosTokenId: 0, PadTokenId: 1);

    public static MambaWeights Create(MambaConfig c, int seed)
    {
        var rng = new Random(seed);
        float[] Uniform(long count, float scale)
        {
            var a = new float[count];
            for (long i = 0; i < count; i++) a[i] = (rng.NextSingle() * 2 - 1) * scale;
            return a;
        }
        float[] Filled(long count, Func<long, float> f)
        {
            var a = new float[count];
            for (long i = 0; i < count; i++) a[i] = f(i);
            return a;
        }

        var layers = new List<MambaLayerWeights>(c.NLayer);
        for (var l = 0; l < c.NLayer; l++)
        {
            layers.Add(new MambaLayerWeights(
                Norm: Filled(c.DModel, _ => 1f),
                InProj: Uniform(2L * c.DInner * c.DModel, 1f / MathF.Sqrt(c.DModel)),
                InProjBias: c.ProjBias ? Uniform(2L * c.DInner, 0.01f) : null,
                ConvWeight: Uniform((long)c.DInner * c.DConv, 0.5f),
                ConvBias: c.ConvBias ? Uniform(c.DInner, 0.1f) : null,
                XProj: Uniform((long)c.XProjWidth * c.DInner, 1f / MathF.Sqrt(c.DInner)),
                DtProj: Uniform((long)c.DInner * c.DtRank, 1f / MathF.Sqrt(c.DtRank)),
                // softplus^-1 of dt drawn log-uniformly in [0.001, 0.1], as mamba_ssm initialises dt_proj.bias.
                DtProjBias: Filled(c.DInner, _ =>
                {
                    var dt = MathF.Exp(MathF.Log(0.001f) + rng.NextSingle() * (MathF.Log(0.1f) - MathF.Log(0.001f)));
                    return dt + MathF.Log(1f - MathF.Exp(-dt));
                }),
                ALog: Filled((long)c.DInner * c.DState, i => MathF.Log(i % c.DState + 1)),
                D: Filled(c.DInner, _ => 1f),
                OutProj: Uniform((long)c.DModel * c.DInner, 1f / MathF.Sqrt(c.DInner)),
                OutProjBias: c.ProjBias ? Uniform(c.DModel, 0.01f) : null));
        }
        var embedding = Uniform((long)c.VocabSize * c.DModel, 0.02f);
        var lmHead = c.TieEmbeddings ? embedding : Uniform((long)c.VocabSize * c.DModel, 0.02f);
        return new MambaWeights(embedding, layers, Filled(c.DModel, _ => 1f), lmHead);
    }
}
