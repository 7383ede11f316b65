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

    /// <summary>
    /// The shape of state-spaces/mamba-2.8b (d_model 2560, 64 layers, vocab 50280, tied head): the GPU benchmark's
    /// model, 2.77 billion parameters, 5.54 GB in bf16.
    /// </summary>
    public static MambaConfig Mamba28bShape { get; } = new(
        DModel: 2560, NLayer: 64, VocabSize: 50280, UnpaddedVocabSize: 50280, DState: 16, DConv: 4, DInner: 5120,
        DtRank: 160, ProjBias: false, ConvBias: true, TieEmbeddings: true, NormEpsilon: 1e-5f, ResidualInFp32: true,
        EosTokenId: 0, BosTokenId: 0, PadTokenId: 0);

    /// <summary>
    /// The shape of tiiuae/falcon-mamba-7b (FalconMamba: d_model 4096, 64 layers, d_inner 8192, dt rank 256, vocab
    /// 65024, untied head, <c>mixer_rms_eps</c> 1e-6): 7.27 billion parameters, 14.5 GB in bf16.
    /// </summary>
    public static MambaConfig FalconMamba7bShape { get; } = new(
        DModel: 4096, NLayer: 64, VocabSize: 65024, UnpaddedVocabSize: 65024, DState: 16, DConv: 4, DInner: 8192,
        DtRank: 256, ProjBias: false, ConvBias: true, TieEmbeddings: false, NormEpsilon: 1e-5f, ResidualInFp32: true,
        EosTokenId: 11, BosTokenId: 0, PadTokenId: 0, MixerRmsEpsilon: 1e-6f);

    /// <summary>
    /// Half-width of the uniform distribution a tensor of <paramref name="role"/> is drawn from; 0 for the tensors with
    /// a rule of their own (norms and D are 1, <see cref="ALog"/>, <see cref="DtProjBias"/>).
    /// </summary>
    public static float UniformScale(TensorRole role, MambaConfig c) => role switch
    {
        TensorRole.Embedding or TensorRole.LmHead => 0.02f,
        TensorRole.InProj => 1f / MathF.Sqrt(c.DModel),
        TensorRole.InProjBias or TensorRole.OutProjBias => 0.01f,
        TensorRole.ConvWeight => 0.5f,
        TensorRole.ConvBias => 0.1f,
        TensorRole.XProj or TensorRole.OutProj => 1f / MathF.Sqrt(c.DInner),
        TensorRole.DtProj => 1f / MathF.Sqrt(c.DtRank),
        _ => 0f,
    };

    /// <summary>A_log at flat index <paramref name="i"/> of [d_inner, d_state]: log(1..d_state) per channel, as S4D-real.</summary>
    public static float ALog(long i, MambaConfig c) => MathF.Log(i % c.DState + 1);

    /// <summary>softplus^-1 of dt drawn log-uniformly in [0.001, 0.1] from <paramref name="u"/> in [0, 1), as mamba_ssm initialises dt_proj.bias.</summary>
    public static float DtProjBias(float u)
    {
        var dt = MathF.Exp(MathF.Log(0.001f) + u * (MathF.Log(0.1f) - MathF.Log(0.001f)));
        return dt + MathF.Log(1f - MathF.Exp(-dt));
    }

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
                InProj: Uniform(2L * c.DInner * c.DModel, UniformScale(TensorRole.InProj, c)),
                InProjBias: c.ProjBias ? Uniform(2L * c.DInner, UniformScale(TensorRole.InProjBias, c)) : null,
                ConvWeight: Uniform((long)c.DInner * c.DConv, UniformScale(TensorRole.ConvWeight, c)),
                ConvBias: c.ConvBias ? Uniform(c.DInner, UniformScale(TensorRole.ConvBias, c)) : null,
                XProj: Uniform((long)c.XProjWidth * c.DInner, UniformScale(TensorRole.XProj, c)),
                DtProj: Uniform((long)c.DInner * c.DtRank, UniformScale(TensorRole.DtProj, c)),
                DtProjBias: Filled(c.DInner, _ => DtProjBias(rng.NextSingle())),
                ALog: Filled((long)c.DInner * c.DState, i => ALog(i, c)),
                D: Filled(c.DInner, _ => 1f),
                OutProj: Uniform((long)c.DModel * c.DInner, UniformScale(TensorRole.OutProj, c)),
                OutProjBias: c.ProjBias ? Uniform(c.DModel, UniformScale(TensorRole.OutProjBias, c)) : null));
        }
        var embedding = Uniform((long)c.VocabSize * c.DModel, UniformScale(TensorRole.Embedding, c));
        var lmHead = c.TieEmbeddings ? embedding : Uniform((long)c.VocabSize * c.DModel, UniformScale(TensorRole.LmHead, c));
        return new MambaWeights(embedding, layers, Filled(c.DModel, _ => 1f), lmHead);
    }
}
