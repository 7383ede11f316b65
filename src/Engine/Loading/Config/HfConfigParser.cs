namespace MambaServe.Engine.Loading.Config;

/// <summary>
/// Reads an HF <c>MambaForCausalLM</c> or <c>FalconMambaForCausalLM</c> config.json (<c>hidden_size</c>,
/// <c>state_size</c>, ...). FalconMamba is Mamba-1 with its weights named alike and one change in the mixer, which
/// <see cref="MambaConfig.MixerRmsEpsilon"/> carries.
/// </summary>
internal static class HfConfigParser
{
    private const string FalconMamba = "falcon_mamba";

    /// <summary>transformers' FalconMambaConfig default.</summary>
    private const float DefaultMixerRmsEpsilon = 1e-6f;

    public static MambaConfig Parse(JsonConfigObject json)
    {
        var modelType = json.GetString("model_type");
        if (modelType is not null && modelType is not ("mamba" or FalconMamba))
        {
            throw json.Error("model_type", $"'{modelType}' is not supported; only 'mamba' (Mamba-1) and '{FalconMamba}' checkpoints are.");
        }

        var act = json.GetString("hidden_act");
        if (act is not null && act != "silu")
        {
            throw json.Error("hidden_act", $"'{act}' is not supported; Mamba uses 'silu'.");
        }

        if (!json.GetBool("rms_norm", true))
        {
            throw json.Error("rms_norm", "false (LayerNorm) is not supported; only RMSNorm Mamba models are.");
        }

        var dModel = json.RequirePositiveInt("hidden_size");
        var expand = json.GetPositiveInt("expand", 2);
        var dInner = json.GetPositiveInt("intermediate_size", expand * dModel);
        var vocab = json.RequirePositiveInt("vocab_size");
        var padMultiple = json.GetPositiveInt("pad_vocab_size_multiple", 1);
        return new MambaConfig(
            DModel: dModel,
            NLayer: json.RequirePositiveInt("num_hidden_layers"),
            VocabSize: VocabPadding.Pad(vocab, padMultiple),
            UnpaddedVocabSize: vocab,
            DState: json.GetPositiveInt("state_size", 16),
            DConv: json.GetPositiveInt("conv_kernel", 4),
            DInner: dInner,
            DtRank: json.GetIntOrAuto("time_step_rank") ?? VocabPadding.AutoDtRank(dModel),
            ProjBias: json.GetBool("use_bias", false),
            ConvBias: json.GetBool("use_conv_bias", true),
            TieEmbeddings: json.GetBool("tie_word_embeddings", true),
            NormEpsilon: json.GetFloat("layer_norm_epsilon", 1e-5f),
            ResidualInFp32: json.GetBool("residual_in_fp32", true),
            EosTokenId: json.GetOptionalTokenId("eos_token_id"),
            BosTokenId: json.GetOptionalTokenId("bos_token_id"),
            PadTokenId: json.GetOptionalTokenId("pad_token_id"),
            MixerRmsEpsilon: modelType == FalconMamba ? json.GetFloat("mixer_rms_eps", DefaultMixerRmsEpsilon) : null);
    }
}
