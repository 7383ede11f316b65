using MambaServe.Engine.Loading;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>All weights of the model as fp32 TorchSharp tensors; a tied LM head shares the embedding tensor.</summary>
internal sealed class CpuWeights : IDisposable
{
    public CpuWeights(MambaConfig config, MambaWeights weights)
    {
        Embedding = CpuLayerTensors.Fp32(weights.Embedding, config.VocabSize, config.DModel);
        Layers = weights.Layers.Select(l => new CpuLayerTensors(l, config)).ToArray();
        NormF = CpuLayerTensors.Fp32(weights.NormF, config.DModel);
        LmHead = ReferenceEquals(weights.LmHead, weights.Embedding)
            ? Embedding
            : CpuLayerTensors.Fp32(weights.LmHead, config.VocabSize, config.DModel);
        LmHeadLinear = new CpuLinear(LmHead, null);
    }

    public Tensor Embedding { get; }
    public IReadOnlyList<CpuLayerTensors> Layers { get; }
    public Tensor NormF { get; }
    public Tensor LmHead { get; }
    public CpuLinear LmHeadLinear { get; }

    public void Dispose()
    {
        foreach (var l in Layers) l.Dispose();
        if (!ReferenceEquals(LmHead, Embedding)) LmHead.Dispose();
        Embedding.Dispose();
        NormF.Dispose();
    }
}
