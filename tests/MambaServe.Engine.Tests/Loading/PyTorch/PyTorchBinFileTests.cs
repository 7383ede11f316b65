using System.Runtime.InteropServices;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Tests.Infrastructure;
using static MambaServe.Engine.Tests.Loading.PyTorch.PyTorchBinTestWriter;

namespace MambaServe.Engine.Tests.Loading.PyTorch;

/// <summary>
/// pytorch_model.bin read without TorchSharp: half-precision storages, views that torch saves as they are (transposed,
/// sharing one storage, padded rows), and broken archives failing with the file, tensor and storage named.
/// </summary>
public sealed class PyTorchBinFileTests
{
    private static string TypeName(string dtype) => dtype switch
    {
        "F32" => "FloatStorage",
        "F16" => "HalfStorage",
        "BF16" => "BFloat16Storage",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>tiny-a as a bin, every tensor contiguous in its own storage (keys 0, 1, ...).</summary>
    private static (List<Storage> Storages, List<View> Views) TinyA(string dtype = "F32")
    {
        var storages = new List<Storage>();
        var views = new List<View>();
        var tensors = CheckpointVariants.TinyATensors();
        for (int i = 0; i < tensors.Count; i++)
        {
            var (name, shape, values) = tensors[i];
            var (storage, view) = Contiguous(name, $"{i}", TypeName(dtype), shape, SafetensorsTestWriter.Encode(values, dtype), dtype == "F32" ? 4 : 2);
            storages.Add(storage);
            views.Add(view);
        }

        return (storages, views);
    }

    private static string WriteCheckpoint(TempDirectory dir, List<Storage> storages, List<View> views, IReadOnlySet<string>? omit = null)
    {
        CheckpointVariants.CopyConfig(dir.Path);
        Write(dir.File("pytorch_model.bin"), storages, views, omit);
        return dir.File("pytorch_model.bin");
    }

    private static byte[] Floats(IEnumerable<float> values) => MemoryMarshal.AsBytes(values.ToArray().AsSpan()).ToArray();

    [Theory]
    [InlineData("BF16")]
    [InlineData("F16")]
    public void Load_HalfPrecisionStorages_EqualSafetensorsOfSameDtype(string dtype)
    {
        using var binDir = new TempDirectory();
        using var safetensorsDir = new TempDirectory();
        var (storages, views) = TinyA(dtype);
        WriteCheckpoint(binDir, storages, views);
        CheckpointVariants.WriteSingle(safetensorsDir.Path, dtype);

        var fromBin = CheckpointLoader.Load(binDir.Path).Weights;

        WeightAssert.Equal(CheckpointLoader.Load(safetensorsDir.Path).Weights, fromBin);
        Assert.NotEqual(CheckpointLoader.Load(CheckpointVariants.TinyA).Weights.Layers[0].InProj, fromBin.Layers[0].InProj);
    }

    [Fact]
    public void Load_TransposedSharedAndPaddedViews_EqualContiguousTensors()
    {
        using var dir = new TempDirectory();
        var (storages, views) = TinyA();
        var tensors = CheckpointVariants.TinyATensors().ToDictionary(t => t.Name);
        void Replace(string name, Storage storage, long offset, long[] strides)
        {
            if (!storages.Contains(storage)) storages.Add(storage);
            views[views.FindIndex(v => v.Name == name)] = new View(name, storage.Key, offset, tensors[name].Shape, strides);
        }

        // in_proj saved from a transpose: its storage holds W^T, the view reads it with strides [1, rows].
        var inProj = tensors["backbone.layers.0.mixer.in_proj.weight"];
        long rows = inProj.Shape[0], cols = inProj.Shape[1];
        var transposed = Enumerable.Range(0, (int)(rows * cols)).Select(k => inProj.Values[(k % rows) * cols + k / rows]);
        Replace(inProj.Name, new Storage("transposed", "FloatStorage", rows * cols, Floats(transposed)), 0, [1, rows]);

        // Both layers' norms as slices of one storage.
        var norm0 = tensors["backbone.layers.0.norm.weight"].Values;
        var norm1 = tensors["backbone.layers.1.norm.weight"].Values;
        var shared = new Storage("shared", "FloatStorage", norm0.Length + norm1.Length, Floats(norm0.Concat(norm1)));
        Replace("backbone.layers.0.norm.weight", shared, 0, [1]);
        Replace("backbone.layers.1.norm.weight", shared, norm0.Length, [1]);

        // x_proj as rows of a wider matrix, after an offset of 5 elements.
        var xProj = tensors["backbone.layers.1.mixer.x_proj.weight"];
        long xRows = xProj.Shape[0], xCols = xProj.Shape[1], pitch = xCols + 3;
        var padded = new float[5 + xRows * pitch];
        for (long i = 0; i < xRows; i++)
            Array.Copy(xProj.Values, i * xCols, padded, 5 + i * pitch, xCols);
        Replace(xProj.Name, new Storage("padded", "FloatStorage", padded.Length, Floats(padded)), 5, [pitch, 1]);
        storages.RemoveAll(s => !views.Any(v => v.StorageKey == s.Key));
        WriteCheckpoint(dir, storages, views);

        var loaded = CheckpointLoader.Load(dir.Path).Weights;

        WeightAssert.Equal(CheckpointLoader.Load(CheckpointVariants.TinyA).Weights, loaded);
    }

    [Fact]
    public void Load_TruncatedArchive_SaysSoAndNamesFile()
    {
        using var dir = new TempDirectory();
        var path = WriteCheckpoint(dir, TinyA().Storages, TinyA().Views);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains(path, ex.Message);
        Assert.Contains("not a complete zip archive", ex.Message);
    }

    [Fact]
    public void Load_StorageMissingFromArchive_NamesTensorAndStorage()
    {
        using var dir = new TempDirectory();
        var (storages, views) = TinyA();
        var victim = views.Single(v => v.Name == "backbone.layers.1.mixer.D");
        var path = WriteCheckpoint(dir, storages, views, new HashSet<string> { victim.StorageKey });

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains(path, ex.Message);
        Assert.Contains("'backbone.layers.1.mixer.D'", ex.Message);
        Assert.Contains($"'data/{victim.StorageKey}'", ex.Message);
    }

    [Fact]
    public void Load_StorageShorterThanItsElementCount_NamesTensorAndSizes()
    {
        using var dir = new TempDirectory();
        var (storages, views) = TinyA();
        int index = views.FindIndex(v => v.Name == "backbone.norm_f.weight");
        var full = storages[index];
        storages[index] = full with { Bytes = full.Bytes[..^4] };
        WriteCheckpoint(dir, storages, views);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains("'backbone.norm_f.weight'", ex.Message);
        Assert.Contains($"holds {full.Bytes.Length - 4} bytes", ex.Message);
    }

    [Fact]
    public void Load_DoubleStorage_IsRefusedNamingTheType()
    {
        using var dir = new TempDirectory();
        var (storages, views) = TinyA();
        storages[0] = storages[0] with { TypeName = "DoubleStorage", ElementCount = storages[0].ElementCount / 2 };
        WriteCheckpoint(dir, storages, views);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains("DoubleStorage", ex.Message);
        Assert.Contains($"'{views[0].Name}'", ex.Message);
    }
}
