using System.Buffers.Binary;
using System.Text;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Loading;

public sealed class CheckpointLoaderErrorTests
{
    private const string XProj = "backbone.layers.1.mixer.x_proj.weight";

    [Fact]
    public void Load_TruncatedSafetensors_NamesFileAndTensor()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.WriteSingle(dir.Path);
        var bytes = File.ReadAllBytes(dir.File("model.safetensors"));
        File.WriteAllBytes(dir.File("model.safetensors"), bytes[..(bytes.Length - 100)]);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains(dir.File("model.safetensors"), ex.Message);
        Assert.Contains("'backbone.norm_f.weight'", ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(100)]
    public void Load_FileCutInsideHeader_NamesFile(int keep)
    {
        using var dir = new TempDirectory();
        CheckpointVariants.WriteSingle(dir.Path);
        var bytes = File.ReadAllBytes(dir.File("model.safetensors"));
        File.WriteAllBytes(dir.File("model.safetensors"), bytes[..keep]);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains(dir.File("model.safetensors"), ex.Message);
    }

    [Fact]
    public void Load_HtmlInsteadOfSafetensors_NamesFile()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.CopyConfig(dir.Path);
        File.WriteAllText(dir.File("model.safetensors"), "<!DOCTYPE html><html><body>Rate limited</body></html>");

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains(dir.File("model.safetensors"), ex.Message);
        Assert.Contains("not a safetensors file", ex.Message);
    }

    [Fact]
    public void Load_MalformedHeaderJson_NamesFile()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.CopyConfig(dir.Path);
        var header = Encoding.UTF8.GetBytes("{\"backbone.norm_f.weight\": {\"dtype\": \"F32\", ");
        var bytes = new byte[8 + header.Length + 256];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(dir.File("model.safetensors"), bytes);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains(dir.File("model.safetensors"), ex.Message);
        Assert.Contains("JSON", ex.Message);
    }

    [Fact]
    public void Load_WrongShape_NamesFileTensorAndShapes()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.WriteSingle(dir.Path, edit: ts => ts.Select(t =>
            t.Name == XProj ? (t.Name, new long[] { 35, 128 }, t.Values[..(35 * 128)]) : t));

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains(dir.File("model.safetensors"), ex.Message);
        Assert.Contains($"'{XProj}'", ex.Message);
        Assert.Contains("[35, 128]", ex.Message);
        Assert.Contains("[36, 128]", ex.Message);
    }

    [Fact]
    public void Load_WrongDtype_NamesFileAndTensor()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.CopyConfig(dir.Path);
        var entries = CheckpointVariants.Entries(CheckpointVariants.TinyATensors())
            .Select(e => e.Name == XProj ? e with { DType = "I32" } : e);
        SafetensorsTestWriter.Write(dir.File("model.safetensors"), entries);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains(dir.File("model.safetensors"), ex.Message);
        Assert.Contains($"'{XProj}'", ex.Message);
        Assert.Contains("I32", ex.Message);
    }

    [Fact]
    public void Load_MissingTensor_NamesTensorAndFile()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.WriteSingle(dir.Path, edit: ts => ts.Where(t => t.Name != "backbone.layers.1.mixer.D"));

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains("'backbone.layers.1.mixer.D'", ex.Message);
        Assert.Contains(dir.File("model.safetensors"), ex.Message);
    }

    [Fact]
    public void Load_UntiedConfigWithoutLmHead_NamesLmHead()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.WriteSingle(dir.Path);
        CheckpointVariants.CopyConfig(dir.Path, c => c["tie_word_embeddings"] = false);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains("'lm_head.weight'", ex.Message);
    }

    [Fact]
    public void Load_MoreLayersThanConfig_NamesUnexpectedTensor()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.WriteSingle(dir.Path);
        CheckpointVariants.CopyConfig(dir.Path, c => c["num_hidden_layers"] = 1);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains("backbone.layers.1.", ex.Message);
        Assert.Contains(dir.File("model.safetensors"), ex.Message);
    }

    [Fact]
    public void Load_FewerLayersThanConfig_NamesMissingTensor()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.WriteSingle(dir.Path);
        CheckpointVariants.CopyConfig(dir.Path, c => c["num_hidden_layers"] = 3);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains("'backbone.layers.2.norm.weight'", ex.Message);
    }

    [Fact]
    public void Load_IndexNamesMissingShard_NamesShardAndTensor()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.CopyConfig(dir.Path);
        File.WriteAllText(dir.File("model.safetensors.index.json"),
            """{"weight_map": {"backbone.norm_f.weight": "model-00001-of-00002.safetensors"}}""");

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains(dir.File("model-00001-of-00002.safetensors"), ex.Message);
        Assert.Contains("'backbone.norm_f.weight'", ex.Message);
    }

    [Fact]
    public void Load_MalformedIndex_NamesIndex()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.CopyConfig(dir.Path);
        File.WriteAllText(dir.File("model.safetensors.index.json"), """{"weight_map": [1, 2""");

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains(dir.File("model.safetensors.index.json"), ex.Message);
    }

    [Fact]
    public void Load_NoWeightFile_NamesDirectoryAndExpectedFiles()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.CopyConfig(dir.Path);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains(dir.Path, ex.Message);
        Assert.Contains("model.safetensors", ex.Message);
    }

    [Fact]
    public void Load_MissingDirectory_NamesDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mambaserve-missing-{Guid.NewGuid():N}");

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(path));

        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Load_CorruptPyTorchBin_NamesFile()
    {
        using var dir = new TempDirectory();
        File.Copy(Path.Combine(TestPaths.Fixture("tiny-a-original"), "config.json"), dir.File("config.json"));
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.Fixture("tiny-a-original"), "pytorch_model.bin"));
        File.WriteAllBytes(dir.File("pytorch_model.bin"), bytes[..(bytes.Length / 3)]);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains(dir.File("pytorch_model.bin"), ex.Message);
    }

    [Fact]
    public void Load_PyTorchBinWithWrongConfig_NamesTensorAndFile()
    {
        using var dir = new TempDirectory();
        var fixture = TestPaths.Fixture("tiny-a-original");
        File.WriteAllText(dir.File("config.json"),
            File.ReadAllText(Path.Combine(fixture, "config.json")).Replace("\"d_state\": 16", "\"d_state\": 8"));
        File.Copy(Path.Combine(fixture, "pytorch_model.bin"), dir.File("pytorch_model.bin"));

        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));

        Assert.Contains(dir.File("pytorch_model.bin"), ex.Message);
        Assert.Contains("'backbone.layers.0.mixer.x_proj.weight'", ex.Message);
    }
}
