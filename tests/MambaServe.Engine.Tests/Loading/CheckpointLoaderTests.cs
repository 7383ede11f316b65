using System.Text.Json;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Loading;

public sealed class CheckpointLoaderTests
{
    [Theory]
    [InlineData("tiny-a")]
    [InlineData("tiny-a-original")]
    [InlineData("tiny-b")]
    public void Load_Fixture_GivesConfigFromConfigJsonAndSizedWeights(string fixture)
    {
        var loaded = CheckpointLoader.Load(TestPaths.Fixture(fixture));

        Assert.Equal(CheckpointConfigReader.Read(TestPaths.Fixture(fixture)), loaded.Config);
        Assert.Equal(Path.GetFullPath(TestPaths.Fixture(fixture)), loaded.Directory);
        AssertSized(loaded);
    }

    [Fact]
    public void Load_DemoModel_UpcastsBf16AndTiesHead()
    {
        var loaded = CheckpointLoader.Load(TestPaths.DemoModel);

        Assert.Equal(8192, loaded.Config.VocabSize);
        AssertSized(loaded);
        Assert.Same(loaded.Weights.Embedding, loaded.Weights.LmHead);
        // bf16 upcasts exactly: every value's low 16 mantissa bits are zero, and A_log is not all zero.
        Assert.All(loaded.Weights.Layers[0].ALog, v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v) & 0xFFFF));
        Assert.Contains(loaded.Weights.Layers[0].ALog, v => v != 0f);
    }

    [Fact]
    public void Load_TinyAAndTinyAOriginal_GiveIdenticalWeights()
    {
        var hf = CheckpointLoader.Load(TestPaths.Fixture("tiny-a"));
        var original = CheckpointLoader.Load(TestPaths.Fixture("tiny-a-original"));

        WeightAssert.Equal(hf.Weights, original.Weights);
        Assert.Same(original.Weights.Embedding, original.Weights.LmHead);
    }

    [Fact]
    public void Load_TinyA_MatchesSafetensorsValuesAndTiesHead()
    {
        var loaded = CheckpointLoader.Load(TestPaths.Fixture("tiny-a"));
        var raw = CheckpointVariants.TinyATensors().ToDictionary(t => t.Name, t => t.Values);

        Assert.Equal(raw["backbone.embeddings.weight"], loaded.Weights.Embedding);
        Assert.Equal(raw["backbone.layers.1.mixer.x_proj.weight"], loaded.Weights.Layers[1].XProj);
        Assert.Equal(raw["backbone.layers.0.mixer.conv1d.weight"], loaded.Weights.Layers[0].ConvWeight);
        Assert.Same(loaded.Weights.Embedding, loaded.Weights.LmHead);
        Assert.Null(loaded.Weights.Layers[0].InProjBias);
    }

    [Fact]
    public void Load_TinyB_HasSeparateHeadAndBiases()
    {
        var loaded = CheckpointLoader.Load(TestPaths.Fixture("tiny-b"));

        Assert.NotSame(loaded.Weights.Embedding, loaded.Weights.LmHead);
        Assert.NotEqual(loaded.Weights.Embedding, loaded.Weights.LmHead);
        Assert.NotNull(loaded.Weights.Layers[2].InProjBias);
        Assert.NotNull(loaded.Weights.Layers[2].OutProjBias);
        Assert.Null(loaded.Weights.Layers[2].ConvBias);
    }

    [Theory]
    [InlineData("F16", 1f / 1024)]
    [InlineData("BF16", 1f / 128)]
    public void Load_HalfPrecisionVariant_MatchesFp32WithinRounding(string dtype, float relativeTolerance)
    {
        using var dir = new TempDirectory();
        CheckpointVariants.WriteSingle(dir.Path, dtype);

        var expected = CheckpointLoader.Load(CheckpointVariants.TinyA);
        var actual = CheckpointLoader.Load(dir.Path);

        Assert.Equal(expected.Config, actual.Config);
        WeightAssert.Equal(expected.Weights, actual.Weights, relativeTolerance);
        Assert.NotEqual(expected.Weights.Embedding, actual.Weights.Embedding);
    }

    [Fact]
    public void Load_ShardedVariant_GivesSameWeights()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.CopyConfig(dir.Path);
        var tensors = CheckpointVariants.TinyATensors();
        var shards = new[] { tensors.Take(7).ToList(), tensors.Skip(7).Take(9).ToList(), tensors.Skip(16).ToList() };
        var weightMap = new Dictionary<string, string>();
        for (var i = 0; i < shards.Length; i++)
        {
            var name = $"model-{i + 1:D5}-of-{shards.Length:D5}.safetensors";
            SafetensorsTestWriter.Write(dir.File(name), CheckpointVariants.Entries(shards[i]));
            shards[i].ForEach(t => weightMap[t.Name] = name);
        }

        File.WriteAllText(dir.File("model.safetensors.index.json"),
            JsonSerializer.Serialize(new { metadata = new { total_size = 392960 }, weight_map = weightMap }));

        var loaded = CheckpointLoader.Load(dir.Path);

        WeightAssert.Equal(CheckpointLoader.Load(CheckpointVariants.TinyA).Weights, loaded.Weights);
    }

    [Fact]
    public void Load_UnpaddedEmbeddingWithPadMultiple_AppendsZeroRows()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.WriteSingle(dir.Path);
        CheckpointVariants.CopyConfig(dir.Path, c => c["pad_vocab_size_multiple"] = 24);

        var loaded = CheckpointLoader.Load(dir.Path);
        var original = CheckpointLoader.Load(CheckpointVariants.TinyA).Weights.Embedding;

        Assert.Equal((528, 512), (loaded.Config.VocabSize, loaded.Config.UnpaddedVocabSize));
        Assert.Equal(528 * 64, loaded.Weights.Embedding.Length);
        Assert.Equal(original, loaded.Weights.Embedding[..original.Length]);
        Assert.All(loaded.Weights.Embedding[original.Length..], v => Assert.Equal(0f, v));
        Assert.Same(loaded.Weights.Embedding, loaded.Weights.LmHead);
    }

    [Fact]
    public void Load_AlreadyPaddedEmbedding_KeepsStoredRows()
    {
        using var dir = new TempDirectory();
        var extra = Enumerable.Range(0, 16 * 64).Select(_ => Random.Shared.NextSingle() - 0.5f).ToArray();
        CheckpointVariants.WriteSingle(dir.Path, edit: ts => ts.Select(t => t.Name == "backbone.embeddings.weight"
            ? (t.Name, new long[] { 528, 64 }, t.Values.Concat(extra).ToArray())
            : t));
        CheckpointVariants.CopyConfig(dir.Path, c => c["pad_vocab_size_multiple"] = 24);

        var loaded = CheckpointLoader.Load(dir.Path);

        Assert.Equal(extra, loaded.Weights.Embedding[(512 * 64)..]);
    }

    [Fact]
    public void Load_TiedCheckpointCarryingLmHead_IgnoresStoredHead()
    {
        using var dir = new TempDirectory();
        var head = Enumerable.Range(0, 512 * 64).Select(_ => Random.Shared.NextSingle()).ToArray();
        CheckpointVariants.WriteSingle(dir.Path, edit: ts => ts.Append(("lm_head.weight", new long[] { 512, 64 }, head)));

        var loaded = CheckpointLoader.Load(dir.Path);

        Assert.Same(loaded.Weights.Embedding, loaded.Weights.LmHead);
    }

    private static void AssertSized(LoadedCheckpoint loaded)
    {
        var (c, w) = (loaded.Config, loaded.Weights);
        Assert.Equal(c.VocabSize * c.DModel, w.Embedding.Length);
        Assert.Equal(c.VocabSize * c.DModel, w.LmHead.Length);
        Assert.Equal(c.DModel, w.NormF.Length);
        Assert.Equal(c.NLayer, w.Layers.Count);
        foreach (var layer in w.Layers)
        {
            Assert.Equal(2 * c.DInner * c.DModel, layer.InProj.Length);
            Assert.Equal(c.DInner * c.DConv, layer.ConvWeight.Length);
            Assert.Equal(c.XProjWidth * c.DInner, layer.XProj.Length);
            Assert.Equal(c.DInner * c.DtRank, layer.DtProj.Length);
            Assert.Equal(c.DInner * c.DState, layer.ALog.Length);
            Assert.Equal(c.DModel * c.DInner, layer.OutProj.Length);
            Assert.Equal(c.ProjBias, layer.InProjBias is not null);
            Assert.Equal(c.ConvBias, layer.ConvBias is not null);
        }
    }
}
