using MambaServe.Engine.Interop;

namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>
/// A reference model whose logits are chosen by the test, exactly: token t (&lt; 16) yields logits row rows[t].
/// d_model 16, embedding row t = one-hot e_t, out_proj = 0 (the mixer adds nothing), norm weights 1 and eps 0, so
/// the final norm gives exactly 4 e_t (rsqrt(1/16) = 4) and an LM head column t of rows[t] / 4 gives rows[t] back
/// with no rounding. The sampler tests use it to feed msv_model_step's sampler any logits.
/// </summary>
internal static class LogitRowModel
{
    public const int DModel = 16;

    public static RefModel Create(float[][] rows, int vocab, int sampleableVocab, int slots = 16, int maxLogprobs = 20)
    {
        var config = new MsvModelConfig
        {
            DModel = DModel, NLayer = 1, DInner = 4, DState = 2, DConv = 2, DtRank = 1,
            Vocab = vocab, SampleableVocab = sampleableVocab, NormEps = 0f,
            WeightDtype = MsvDtype.F32, StateDtype = MsvDtype.F32,
            MaxStepTokens = 256, MaxDecodeBatch = 64, MaxLogprobs = maxLogprobs,
        };
        var m = RefModel.Create(config);
        var embedding = new float[vocab * DModel];
        var head = new float[vocab * DModel];
        for (var t = 0; t < vocab; t++) embedding[t * DModel + t % DModel] = 1f;
        for (var r = 0; r < rows.Length; r++)
            for (var v = 0; v < vocab; v++)
                head[v * DModel + r] = rows[r][v] / 4f;
        m.SetTensor(MsvTensor.Embedding, 0, embedding);
        m.SetTensor(MsvTensor.LmHead, 0, head);
        m.SetTensor(MsvTensor.NormF, 0, Filled(DModel, 1f));
        m.SetTensor(MsvTensor.Norm, 0, Filled(DModel, 1f));
        m.SetTensor(MsvTensor.InProj, 0, new float[2 * 4 * DModel]);
        m.SetTensor(MsvTensor.ConvWeight, 0, new float[4 * 2]);
        m.SetTensor(MsvTensor.XProj, 0, new float[(1 + 2 * 2) * 4]);
        m.SetTensor(MsvTensor.DtProj, 0, new float[4]);
        m.SetTensor(MsvTensor.DtProjBias, 0, new float[4]);
        m.SetTensor(MsvTensor.ALog, 0, new float[4 * 2]);
        m.SetTensor(MsvTensor.D, 0, new float[4]);
        m.SetTensor(MsvTensor.OutProj, 0, new float[DModel * 4]);
        m.FinalizeWeights();
        m.AllocatePool(slots);
        return m;
    }

    /// <summary>Rows of normal noise times <paramref name="scale"/>, with padded ids (&gt;= sampleable) made the largest.</summary>
    public static float[][] RandomRows(Random rng, int count, int vocab, int sampleableVocab, float scale)
    {
        var rows = new float[count][];
        for (var r = 0; r < count; r++)
        {
            rows[r] = new float[vocab];
            for (var v = 0; v < vocab; v++)
                rows[r][v] = v >= sampleableVocab ? 1000f : scale * Normal(rng);
        }
        return rows;
    }

    private static float Normal(Random rng) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));

    private static float[] Filled(int n, float v) => Enumerable.Repeat(v, n).ToArray();
}
