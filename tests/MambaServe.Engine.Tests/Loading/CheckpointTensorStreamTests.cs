using System.Runtime.InteropServices;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Loading.Safetensors;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Loading;

/// <summary>
/// The tensor stream a GPU runner uploads from: every weight once, with its role, the model's shape and its bytes in
/// the stored dtype, checked by the same rules as the fp32 load.
/// </summary>
public sealed class CheckpointTensorStreamTests
{
    private sealed record Seen(TensorRole Role, int Layer, string Name, long[] Shape, TensorDType DType, byte[] Data);

    private static List<Seen> StreamAll(IWeightSource source)
    {
        var seen = new List<Seen>();
        source.Stream(t => seen.Add(new Seen(t.Role, t.Layer, t.Name, [.. t.Shape], t.DType, t.Data.ToArray())));
        return seen;
    }

    private static float[] Floats(Seen tensor) => MemoryMarshal.Cast<byte, float>(tensor.Data).ToArray();

    private static float[]? ExpectedValues(MambaWeights w, TensorRole role, int layer)
    {
        var l = layer >= 0 ? w.Layers[layer] : null;
        return role switch
        {
            TensorRole.Embedding => w.Embedding, TensorRole.NormF => w.NormF, TensorRole.LmHead => w.LmHead,
            TensorRole.Norm => l!.Norm, TensorRole.InProj => l!.InProj, TensorRole.InProjBias => l!.InProjBias,
            TensorRole.ConvWeight => l!.ConvWeight, TensorRole.ConvBias => l!.ConvBias, TensorRole.XProj => l!.XProj,
            TensorRole.DtProj => l!.DtProj, TensorRole.DtProjBias => l!.DtProjBias, TensorRole.ALog => l!.ALog,
            TensorRole.D => l!.D, TensorRole.OutProj => l!.OutProj, TensorRole.OutProjBias => l!.OutProjBias,
            _ => throw new ArgumentOutOfRangeException(nameof(role)),
        };
    }

    [Theory]
    [InlineData("tiny-a", 2 + 2 * 10)]
    [InlineData("tiny-a-original", 2 + 2 * 10)]
    [InlineData("tiny-b", 3 + 3 * 11)]
    public void Stream_Fixture_EveryWeightOnceMatchingTheFp32Load(string fixture, int tensors)
    {
        var source = CheckpointWeightSource.Open(TestPaths.Fixture(fixture));
        var loaded = CheckpointLoader.Load(TestPaths.Fixture(fixture)).Weights;

        var seen = StreamAll(source);

        Assert.Equal(tensors, seen.Count);
        Assert.Equal(seen.Count, seen.Select(t => (t.Role, t.Layer)).Distinct().Count());
        Assert.Equal(source.Config.TieEmbeddings, seen.All(t => t.Role != TensorRole.LmHead));
        foreach (var tensor in seen)
        {
            Assert.Equal(TensorDType.Float32, tensor.DType);
            Assert.Equal(tensor.Shape.Aggregate(1L, (a, b) => a * b) * 4, tensor.Data.LongLength);
            Assert.Equal(ExpectedValues(loaded, tensor.Role, tensor.Layer), Floats(tensor));
        }
    }

    [Fact]
    public void Stream_Bf16Checkpoint_HandsOverTheStoredBytes()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.WriteSingle(dir.Path, "BF16");
        using var file = SafetensorsFile.Open(dir.File("model.safetensors"));

        var seen = StreamAll(CheckpointWeightSource.Open(dir.Path));

        Assert.All(seen, t => Assert.Equal(TensorDType.BFloat16, t.DType));
        Assert.All(seen, t => Assert.Equal(file.GetBytes(file.Tensors[t.Name]).ToArray(), t.Data));
        var conv = seen.First(t => t.Role == TensorRole.ConvWeight);
        Assert.Equal([128L, 4], conv.Shape); // stored [d_inner, 1, d_conv]
    }

    [Fact]
    public void Stream_UnpaddedVocab_AppendsZeroRows()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.WriteSingle(dir.Path, "F16");
        CheckpointVariants.CopyConfig(dir.Path, c => c["pad_vocab_size_multiple"] = 24);

        var embedding = StreamAll(CheckpointWeightSource.Open(dir.Path)).Single(t => t.Role == TensorRole.Embedding);

        Assert.Equal([528L, 64], embedding.Shape);
        Assert.Equal(528 * 64 * 2, embedding.Data.Length);
        Assert.All(embedding.Data[(512 * 64 * 2)..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Stream_TensorMissing_FailsLikeTheLoadBeforeHandingAnythingOver()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.WriteSingle(dir.Path, edit: ts => ts.Where(t => t.Name != "backbone.layers.1.mixer.D"));
        var visited = 0;

        var streamed = Assert.Throws<CheckpointException>(() => CheckpointWeightSource.Open(dir.Path).Stream(_ => visited++));
        var loaded = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Equal(loaded.Message, streamed.Message);
        Assert.Contains("'backbone.layers.1.mixer.D'", streamed.Message);
        Assert.Equal(0, visited);
    }

    [Fact]
    public void Stream_InMemoryWeights_SameAsTheCheckpointTheyCameFrom()
    {
        var checkpoint = CheckpointWeightSource.Open(TestPaths.Fixture("tiny-b"));
        var inMemory = new InMemoryWeightSource(checkpoint.Config, CheckpointLoader.Load(checkpoint.Directory).Weights);

        var expected = StreamAll(checkpoint);
        var actual = StreamAll(inMemory);

        Assert.Equal(expected.Select(t => (t.Role, t.Layer, t.Name)), actual.Select(t => (t.Role, t.Layer, t.Name)));
        Assert.Equal(expected.Select(t => t.Shape), actual.Select(t => t.Shape));
        Assert.Equal(expected.Select(t => t.Data), actual.Select(t => t.Data));
    }
}
