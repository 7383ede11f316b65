using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Tests.Loading;

/// <summary>The written random checkpoint loads as any HF checkpoint, in bf16, with RandomCheckpoint's distributions.</summary>
public sealed class RandomCheckpointWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("msv-random-").FullName;

    private static MambaConfig Shape => RandomCheckpoint.Mamba130mShape with { NLayer = 2, DModel = 64, DInner = 128, DtRank = 4, VocabSize = 300, UnpaddedVocabSize = 300 };

    [Fact]
    public void Write_SmallShape_LoadsWithTheShapeAndDistributions()
    {
        long bytes = RandomCheckpointWriter.Write(_dir, Shape, seed: 3);

        var source = CheckpointWeightSource.Open(_dir);
        Assert.Equal(Shape, source.Config);
        Assert.Equal(Shape.ParameterCount * 2, bytes);
        var dtypes = new HashSet<TensorDType>();
        source.Stream(t => dtypes.Add(t.DType));
        Assert.Equal([TensorDType.BFloat16], dtypes);

        var w = CheckpointLoader.Load(_dir).Weights;
        float scale = RandomCheckpoint.UniformScale(TensorRole.InProj, Shape);
        Assert.All(w.Layers[1].InProj, v => Assert.InRange(v, -scale * 1.01f, scale * 1.01f));
        Assert.True(w.Layers[1].InProj.Select(MathF.Abs).Average() > scale / 3, "uniform in +-scale has mean |v| = scale / 2");
        Assert.Equal(MathF.Log(3), w.Layers[0].ALog[2], 2);
        Assert.All(w.Layers[0].D, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Write_FalconMambaShape_ReadsBackAsFalconMambaWithItsEpsilon()
    {
        var falcon = RandomCheckpoint.FalconMamba7bShape with { NLayer = 2, DModel = 64, DInner = 128, DtRank = 4, VocabSize = 300, UnpaddedVocabSize = 300 };

        RandomCheckpointWriter.Write(_dir, falcon, seed: 3);

        Assert.Equal(falcon, CheckpointWeightSource.Open(_dir).Config);
        Assert.Contains("\"falcon_mamba\"", File.ReadAllText(Path.Combine(_dir, "config.json")));
    }

    [Fact]
    public void Write_SameSeedTwice_SameFile()
    {
        var other = Path.Combine(_dir, "again");
        RandomCheckpointWriter.Write(_dir, Shape, seed: 3);
        RandomCheckpointWriter.Write(other, Shape, seed: 3);

        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "model.safetensors")), File.ReadAllBytes(Path.Combine(other, "model.safetensors")));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
