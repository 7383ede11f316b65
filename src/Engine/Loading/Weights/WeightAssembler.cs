namespace MambaServe.Engine.Loading.Weights;

/// <summary>
/// Builds <see cref="MambaWeights"/> (fp32 host arrays) from a tensor source, through the plan of
/// <see cref="CheckpointLayout"/>: every rule a checkpoint must meet is checked before any value is read.
/// </summary>
internal static class WeightAssembler
{
    public static MambaWeights Assemble(MambaConfig config, ITensorSource source, string directory)
    {
        var plan = CheckpointLayout.Plan(config, source, directory);
        var values = plan.ToDictionary(t => (t.Role, t.Layer), t => ReadFloat32(config, source, t));
        float[]? Get(TensorRole role, int layer = -1) => values.GetValueOrDefault((role, layer));

        var layers = new MambaLayerWeights[config.NLayer];
        for (var i = 0; i < layers.Length; i++)
        {
            layers[i] = new MambaLayerWeights(
                Norm: Get(TensorRole.Norm, i)!,
                InProj: Get(TensorRole.InProj, i)!,
                InProjBias: Get(TensorRole.InProjBias, i),
                ConvWeight: Get(TensorRole.ConvWeight, i)!,
                ConvBias: Get(TensorRole.ConvBias, i),
                XProj: Get(TensorRole.XProj, i)!,
                DtProj: Get(TensorRole.DtProj, i)!,
                DtProjBias: Get(TensorRole.DtProjBias, i)!,
                ALog: Get(TensorRole.ALog, i)!,
                D: Get(TensorRole.D, i)!,
                OutProj: Get(TensorRole.OutProj, i)!,
                OutProjBias: Get(TensorRole.OutProjBias, i));
        }

        var embedding = Get(TensorRole.Embedding)!;
        return new MambaWeights(embedding, layers, Get(TensorRole.NormF)!, Get(TensorRole.LmHead) ?? embedding);
    }

    private static float[] ReadFloat32(MambaConfig config, ITensorSource source, PlannedTensor tensor)
    {
        var values = Float32Converter.ToFloat32(source.ReadBytes(tensor.Name), source.DTypeOf(tensor.Name));
        if (!tensor.PadVocabRows)
        {
            return values;
        }

        var padded = new float[(long)config.VocabSize * config.DModel];
        values.CopyTo(padded, 0);
        return padded;
    }
}
