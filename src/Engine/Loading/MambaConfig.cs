namespace MambaServe.Engine.Loading;

/// <summary>
/// The shape and options of one Mamba checkpoint, normalised from either the HF <c>MambaForCausalLM</c> config or the
/// original state-spaces config. Immutable; everything downstream (weights, state pool, runner) is sized from it.
/// </summary>
/// <param name="VocabSize">Rows of the embedding and LM head as stored (already padded to the pad multiple).</param>
/// <param name="UnpaddedVocabSize">Ids below this are real tokens; rows from here to <paramref name="VocabSize"/> are
/// padding and are never sampled.</param>
/// <param name="MixerRmsEpsilon">FalconMamba (<c>model_type: "falcon_mamba"</c>): x_proj's dt, B and C are each
/// RMS-normalised with no weight and this epsilon (<c>mixer_rms_eps</c>) before dt_proj and the scan. Null for Mamba.</param>
public sealed record MambaConfig(
    int DModel,
    int NLayer,
    int VocabSize,
    int UnpaddedVocabSize,
    int DState,
    int DConv,
    int DInner,
    int DtRank,
    bool ProjBias,
    bool ConvBias,
    bool TieEmbeddings,
    float NormEpsilon,
    bool ResidualInFp32,
    int? EosTokenId,
    int? BosTokenId,
    int? PadTokenId,
    float? MixerRmsEpsilon = null)
{
    /// <summary>Floats in one slot's conv state: [layers, d_inner, d_conv - 1].</summary>
    public long ConvStateElementsPerSlot => (long)NLayer * DInner * (DConv - 1);

    /// <summary>Elements in one slot's SSM state: [layers, d_inner, d_state].</summary>
    public long SsmStateElementsPerSlot => (long)NLayer * DInner * DState;

    /// <summary>Width of one x_proj output row: dt (rank R), then B and C (d_state each).</summary>
    public int XProjWidth => DtRank + 2 * DState;

    /// <summary>Weights stored (a tied LM head counted once with the embedding).</summary>
    public long ParameterCount
    {
        get
        {
            long d = DModel, inner = DInner;
            long layer = d + 2 * inner * d + inner * DConv + (long)XProjWidth * inner + inner * DtRank + inner
                + inner * DState + inner + d * inner
                + (ProjBias ? 2 * inner + d : 0) + (ConvBias ? inner : 0);
            long vocab = (long)VocabSize * d;
            return vocab + NLayer * layer + d + (TieEmbeddings ? 0 : vocab);
        }
    }
}
