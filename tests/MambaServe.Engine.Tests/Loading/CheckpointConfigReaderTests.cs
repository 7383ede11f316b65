using System.Text.Json.Nodes;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Loading;

public sealed class CheckpointConfigReaderTests
{
    [Fact]
    public void Read_TinyA_GivesHfConfig()
    {
        var config = CheckpointConfigReader.Read(TestPaths.Fixture("tiny-a"));

        Assert.Equal(new MambaConfig(64, 2, 512, 512, 16, 4, 128, 4, false, true, true, 1e-5f, true, 0, 0, 1), config);
    }

    [Fact]
    public void Read_TinyAOriginal_MatchesTinyAShape()
    {
        var original = CheckpointConfigReader.Read(TestPaths.Fixture("tiny-a-original"));
        var hf = CheckpointConfigReader.Read(TestPaths.Fixture("tiny-a"));

        // The original format carries no token ids; everything that sizes the model must agree.
        Assert.Equal(hf with { EosTokenId = null, BosTokenId = null, PadTokenId = null }, original);
    }

    [Fact]
    public void Read_TinyB_GivesUntiedBiasedConfig()
    {
        var config = CheckpointConfigReader.Read(TestPaths.Fixture("tiny-b"));

        Assert.Equal(new MambaConfig(96, 3, 1000, 1000, 8, 3, 192, 7, true, false, false, 1e-5f, true, 0, 0, 1), config);
        Assert.Equal(7 + 16, config.XProjWidth);
    }

    [Fact]
    public void Read_DemoModel_GivesDemoConfig()
    {
        var config = CheckpointConfigReader.Read(TestPaths.DemoModel);

        Assert.Equal(new MambaConfig(256, 8, 8192, 8192, 16, 4, 512, 16, false, true, true, 1e-5f, true, 0, 0, 1), config);
    }

    [Theory]
    [InlineData(50277, 8, 50280)]
    [InlineData(50280, 8, 50280)]
    [InlineData(1000, 16, 1008)]
    public void Read_PadVocabMultiple_PadsVocabButKeepsUnpadded(int vocab, int multiple, int padded)
    {
        using var dir = new TempDirectory();
        CheckpointVariants.CopyConfig(dir.Path, c =>
        {
            c["vocab_size"] = vocab;
            c["pad_vocab_size_multiple"] = multiple;
        });

        var config = CheckpointConfigReader.Read(dir.Path);

        Assert.Equal((padded, vocab), (config.VocabSize, config.UnpaddedVocabSize));
    }

    [Theory]
    [InlineData(64, 4)]
    [InlineData(96, 6)]
    [InlineData(100, 7)]
    public void Read_TimeStepRankAuto_IsCeilHiddenOver16(int hidden, int rank)
    {
        using var dir = new TempDirectory();
        CheckpointVariants.CopyConfig(dir.Path, c =>
        {
            c["hidden_size"] = hidden;
            c["time_step_rank"] = "auto";
            c.Remove("intermediate_size");
        });

        var config = CheckpointConfigReader.Read(dir.Path);

        Assert.Equal((rank, 2 * hidden), (config.DtRank, config.DInner));
    }

    [Fact]
    public void Read_HfConfigWithLeftoverOriginalKeys_ReadsHfKeys()
    {
        using var dir = new TempDirectory();
        CheckpointVariants.CopyConfig(dir.Path, c =>
        {
            c["d_model"] = 999;
            c["n_layer"] = 7;
            c["pad_vocab_size_multiple"] = 8;
        });

        var config = CheckpointConfigReader.Read(dir.Path);

        Assert.Equal((64, 2, 512), (config.DModel, config.NLayer, config.VocabSize));
    }

    [Fact]
    public void Read_OriginalDefaults_FollowMambaSsm()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), """{"d_model": 768, "n_layer": 24, "vocab_size": 50277}""");

        var config = CheckpointConfigReader.Read(dir.Path);

        Assert.Equal(new MambaConfig(768, 24, 50280, 50277, 16, 4, 1536, 48, false, true, true, 1e-5f, true, null, null, null), config);
    }

    [Theory]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 512, "rms_norm": false}""", "rms_norm")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 512, "ssm_cfg": {"layer": "Mamba2"}}""", "ssm_cfg.layer")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 512, "d_intermediate": 128}""", "d_intermediate")]
    [InlineData("""{"d_model": 64, "n_layer": 2, "vocab_size": 512, "attn_layer_idx": [1]}""", "attn_layer_idx")]
    [InlineData("""{"d_model": 64, "vocab_size": 512}""", "n_layer")]
    [InlineData("""{"hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 512, "model_type": "mamba2"}""", "model_type")]
    [InlineData("""{"hidden_size": 64, "num_hidden_layers": 2}""", "vocab_size")]
    [InlineData("""{"hidden_size": "64", "num_hidden_layers": 2, "vocab_size": 512}""", "hidden_size")]
    [InlineData("""{"hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 512, "state_size": 0}""", "state_size")]
    [InlineData("""{"hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 512, "use_bias": "no"}""", "use_bias")]
    [InlineData("""{"hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 512, "rms_norm": false}""", "rms_norm")]
    [InlineData("""{"num_layers": 2}""", "hidden_size")]
    [InlineData("""{"hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 512, "model_type": "falcon_mamba", "mixer_rms_eps": 0}""", "mixer_rms_eps")]
    [InlineData("""{"hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 512, "model_type": "falcon_mamba", "mixer_rms_eps": "small"}""", "mixer_rms_eps")]
    public void Read_UnsupportedOrInvalidConfig_ThrowsNamingFileAndKey(string json, string key)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), json);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointConfigReader.Read(dir.Path));

        Assert.Contains(dir.File("config.json"), ex.Message);
        Assert.Contains($"'{key}'", ex.Message);
    }

    [Theory]
    [InlineData("""{"hidden_size": 768, "num_hidden_layers": 24, "vocab_size": 50280, "model_type": "mamba2", "num_heads": 24, "head_dim": 64}""")]
    [InlineData("""{"hidden_size": 4096, "num_hidden_layers": 32, "vocab_size": 65536, "model_type": "jamba", "attn_layer_period": 8}""")]
    [InlineData("""{"hidden_size": 2560, "num_hidden_layers": 54, "vocab_size": 32000, "model_type": "zamba2"}""")]
    [InlineData("""{"d_model": 768, "n_layer": 24, "vocab_size": 50277, "ssm_cfg": {"layer": "Mamba2"}, "attn_layer_idx": []}""")]
    public void Read_Mamba2OrHybridConfig_RefusedSayingOnlyMamba1IsSupported(string json)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), json);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointConfigReader.Read(dir.Path));

        Assert.Contains("not supported", ex.Message);
        Assert.Matches("Mamba-?1", ex.Message);
    }

    [Fact]
    public void Read_FalconMamba_CarriesTheMixerNormsEpsilon()
    {
        var config = CheckpointConfigReader.Read(TestPaths.Fixture("falcon-tiny"));

        Assert.Equal(new MambaConfig(64, 3, 320, 320, 8, 4, 160, 6, false, true, false, 1e-5f, true, 0, 0, 0, MixerRmsEpsilon: 1e-6f), config);
        Assert.Null(CheckpointConfigReader.Read(TestPaths.Fixture("tiny-b")).MixerRmsEpsilon);
    }

    [Theory]
    [InlineData("""{"hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 512, "model_type": "falcon_mamba"}""", 1e-6f)]
    [InlineData("""{"hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 512, "model_type": "falcon_mamba", "mixer_rms_eps": 1e-5}""", 1e-5f)]
    public void Read_FalconMambaWithOrWithoutItsEpsilon_TakesTransformersDefault(string json, float epsilon)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), json);

        Assert.Equal(epsilon, CheckpointConfigReader.Read(dir.Path).MixerRmsEpsilon);
    }

    [Fact]
    public void Read_MalformedJson_ThrowsNamingFile()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), """{"hidden_size": 64, "num_hidden_layers": """);

        var ex = Assert.Throws<CheckpointException>(() => CheckpointConfigReader.Read(dir.Path));

        Assert.Contains(dir.File("config.json"), ex.Message);
    }

    [Fact]
    public void Read_MissingConfig_ThrowsNamingFile()
    {
        using var dir = new TempDirectory();

        var ex = Assert.Throws<CheckpointException>(() => CheckpointConfigReader.Read(dir.Path));

        Assert.Contains(dir.File("config.json"), ex.Message);
    }
}
