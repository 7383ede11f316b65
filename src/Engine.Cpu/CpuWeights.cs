using MambaServe.Engine.Loading;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// All weights of the model as TorchSharp tensors (built by <see cref="CpuWeightReader"/>): the embedding, the LM head
/// and the projections in the runner's matrix type, the rest fp32; a tied LM head shares the embedding tensor.
/// </summary>
internal sealed class CpuWeights : IDisposable
{
    public CpuWeights(Tensor embedding, IReadOnlyList<CpuLayerTensors> layers, Tensor normF, Tensor? lmHead)
    {
        Embedding = embedding;
        Layers = layers;
        NormF = normF;
        LmHead = lmHead ?? embedding;
        LmHeadLinear = new CpuLinear(LmHead, null);
        NativeMaxRows = layers.SelectMany(l => l.Projections).Append(LmHeadLinear).Min(p => p.MaxNativeRows);
    }

    public Tensor Embedding { get; }
    public IReadOnlyList<CpuLayerTensors> Layers { get; }
    public Tensor NormF { get; }
    public Tensor LmHead { get; }
    public CpuLinear LmHeadLinear { get; }

    /// <summary>Most rows every matrix takes through the native linear (<see cref="CpuLinear.MaxNativeRows"/>).</summary>
    public int NativeMaxRows { get; }

    /// <summary>Every tensor once (a tied head is the embedding).</summary>
    private IEnumerable<Tensor> Tensors =>
        new[] { Embedding, NormF }.Concat(ReferenceEquals(LmHead, Embedding) ? [] : [LmHead]).Concat(Layers.SelectMany(l => l.Tensors));

    /// <summary>What the weights take in memory.</summary>
    public long Bytes => Tensors.Sum(t => t.NumberOfElements * t.ElementSize);

    /// <summary>"fp32", "bf16", or "bf16 and fp32" for the matrices (the embedding, the LM head and the projections).</summary>
    public string MatrixTypeName
    {
        get
        {
            var types = new[] { Embedding, LmHead }.Concat(Layers.SelectMany(l => l.Projections.Select(p => p.Weight)))
                .Select(t => t.dtype == ScalarType.BFloat16 ? "bf16" : "fp32").Distinct().Order().ToArray();
            return string.Join(" and ", types);
        }
    }

    /// <summary>The embedding rows of <paramref name="ids"/> as contiguous fp32.</summary>
    public Tensor Embed(Tensor ids)
    {
        var rows = Embedding.index_select(0, ids);
        return rows.dtype == ScalarType.Float32 ? rows.contiguous() : rows.to(ScalarType.Float32).contiguous();
    }

    public void Dispose()
    {
        foreach (var t in Tensors) t.Dispose();
    }
}
