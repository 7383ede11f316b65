namespace MambaServe.Engine.Loading;

/// <summary>All weights of a checkpoint as fp32 host arrays, validated against <see cref="MambaConfig"/>.</summary>
/// <param name="Embedding">[vocab (padded), d_model]</param>
/// <param name="NormF">[d_model]</param>
/// <param name="LmHead">[vocab (padded), d_model]; the same array as <paramref name="Embedding"/> when tied.</param>
public sealed record MambaWeights(
    float[] Embedding,
    IReadOnlyList<MambaLayerWeights> Layers,
    float[] NormF,
    float[] LmHead);
