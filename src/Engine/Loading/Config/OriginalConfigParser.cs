namespace MambaServe.Engine.Loading.Config;

/// <summary>
/// Reads an original state-spaces config.json (<c>d_model</c>, <c>n_layer</c>, <c>ssm_cfg</c>, ...), with the
/// defaults of mamba_ssm's <c>MambaConfig</c> and <c>Mamba</c> mixer, and rejects variants we do not compute:
/// LayerNorm instead of RMSNorm, Mamba-2 mixers, MLP blocks and attention layers (hybrid models).
/// </summary>
internal static class OriginalConfigParser
{
    public static MambaConfig Parse(JsonConfigObject json)
    {
        if (!json.GetBool("rms_norm", true))
        {
            throw json.Error("rms_norm", "false (LayerNorm) is not supported; only RMSNorm Mamba models are.");
        }

        if (json.GetInt("d_intermediate", 0) != 0)
        {
            throw json.Error("d_intermediate", "MLP blocks between mixers are not supported (must be 0).");
        }

        if (json.GetArray("attn_layer_idx").Any())
        {
            throw json.Error("attn_layer_idx", "hybrid attention layers are not supported (must be empty).");
        }

        var ssm = json.GetObject("ssm_cfg");
        var layer = ssm?.GetString("layer") ?? "Mamba1";
        if (layer != "Mamba1")
        {
            throw ssm!.Error("layer", $"'{layer}' is not supported; only Mamba1 mixers are.");
        }

        var dModel = json.RequirePositiveInt("d_model");
        var vocab = json.RequirePositiveInt("vocab_size");
        var expand = ssm?.GetPositiveInt("expand", 2) ?? 2;
        return new MambaConfig(
            DModel: dModel,
            NLayer: json.RequirePositiveInt("n_layer"),
            VocabSize: VocabPadding.Pad(vocab, json.GetPositiveInt("pad_vocab_size_multiple", 8)),
            UnpaddedVocabSize: vocab,
            DState: ssm?.GetPositiveInt("d_state", 16) ?? 16,
            DConv: ssm?.GetPositiveInt("d_conv", 4) ?? 4,
            DInner: expand * dModel,
            DtRank: ssm?.GetIntOrAuto("dt_rank") ?? VocabPadding.AutoDtRank(dModel),
            ProjBias: ssm?.GetBool("bias", false) ?? false,
            ConvBias: ssm?.GetBool("conv_bias", true) ?? true,
            TieEmbeddings: json.GetBool("tie_embeddings", true),
            NormEpsilon: json.GetFloat("norm_epsilon", 1e-5f),
            ResidualInFp32: json.GetBool("residual_in_fp32", true),
            EosTokenId: json.GetOptionalTokenId("eos_token_id"),
            BosTokenId: json.GetOptionalTokenId("bos_token_id"),
            PadTokenId: json.GetOptionalTokenId("pad_token_id"));
    }
}
