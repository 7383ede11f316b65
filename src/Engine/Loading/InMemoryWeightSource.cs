using System.Runtime.InteropServices;

namespace MambaServe.Engine.Loading;

/// <summary>Weights already in memory: random ones for benchmarks, or a checkpoint loaded once and shared by tests.</summary>
public sealed class InMemoryWeightSource(MambaConfig config, MambaWeights weights) : IWeightSource
{
    public MambaConfig Config { get; } = config;

    /// <summary>The fp32 arrays as they are, under the HF names, in the order a checkpoint streams them.</summary>
    public void Stream(CheckpointTensorVisitor visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        var c = Config;
        long vocab = c.VocabSize, d = c.DModel, inner = c.DInner;
        Visit(visit, TensorRole.Embedding, -1, "backbone.embeddings.weight", weights.Embedding, vocab, d);
        for (var i = 0; i < weights.Layers.Count; i++)
        {
            var l = weights.Layers[i];
            var p = $"backbone.layers.{i}.";
            Visit(visit, TensorRole.Norm, i, p + "norm.weight", l.Norm, d);
            Visit(visit, TensorRole.InProj, i, p + "mixer.in_proj.weight", l.InProj, 2 * inner, d);
            Visit(visit, TensorRole.InProjBias, i, p + "mixer.in_proj.bias", l.InProjBias, 2 * inner);
            Visit(visit, TensorRole.ConvWeight, i, p + "mixer.conv1d.weight", l.ConvWeight, inner, c.DConv);
            Visit(visit, TensorRole.ConvBias, i, p + "mixer.conv1d.bias", l.ConvBias, inner);
            Visit(visit, TensorRole.XProj, i, p + "mixer.x_proj.weight", l.XProj, c.XProjWidth, inner);
            Visit(visit, TensorRole.DtProj, i, p + "mixer.dt_proj.weight", l.DtProj, inner, c.DtRank);
            Visit(visit, TensorRole.DtProjBias, i, p + "mixer.dt_proj.bias", l.DtProjBias, inner);
            Visit(visit, TensorRole.ALog, i, p + "mixer.A_log", l.ALog, inner, c.DState);
            Visit(visit, TensorRole.D, i, p + "mixer.D", l.D, inner);
            Visit(visit, TensorRole.OutProj, i, p + "mixer.out_proj.weight", l.OutProj, d, inner);
            Visit(visit, TensorRole.OutProjBias, i, p + "mixer.out_proj.bias", l.OutProjBias, d);
        }

        Visit(visit, TensorRole.NormF, -1, "backbone.norm_f.weight", weights.NormF, d);
        if (!c.TieEmbeddings)
        {
            Visit(visit, TensorRole.LmHead, -1, "lm_head.weight", weights.LmHead, vocab, d);
        }
    }

    private static void Visit(CheckpointTensorVisitor visit, TensorRole role, int layer, string name, float[]? values, params long[] shape)
    {
        if (values is null)
        {
            return; // an absent bias
        }

        visit(new CheckpointTensor
        {
            Role = role, Layer = layer, Name = name, Shape = shape, DType = TensorDType.Float32,
            Data = MemoryMarshal.AsBytes(values.AsSpan()),
        });
    }
}
