namespace MambaServe.Engine.Sampling;

/// <summary>
/// Rejects out-of-range sampling parameters before a request reaches the engine. Throws
/// <see cref="ArgumentException"/> (usually <see cref="ArgumentOutOfRangeException"/>) whose ParamName is the
/// OpenAI/vLLM field name, so the Server can answer 400 with "param" set. Ranges follow vLLM.
/// </summary>
public static class SamplingParamsValidator
{
    /// <summary>OpenAI's limit on top logprobs per token.</summary>
    public const int MaxLogprobs = 20;

    public static void Validate(SamplingParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        Check(float.IsFinite(p.Temperature) && p.Temperature >= 0, "temperature", p.Temperature, "must be >= 0");
        Check(p.TopP > 0 && p.TopP <= 1, "top_p", p.TopP, "must be in (0, 1]");
        Check(p.TopK >= 0, "top_k", p.TopK, "must be >= 0 (0 disables)");
        Check(p.MinP >= 0 && p.MinP <= 1, "min_p", p.MinP, "must be in [0, 1]");
        Check(float.IsFinite(p.RepetitionPenalty) && p.RepetitionPenalty > 0, "repetition_penalty", p.RepetitionPenalty, "must be > 0");
        Check(p.PresencePenalty is >= -2 and <= 2, "presence_penalty", p.PresencePenalty, "must be in [-2, 2]");
        Check(p.FrequencyPenalty is >= -2 and <= 2, "frequency_penalty", p.FrequencyPenalty, "must be in [-2, 2]");
        Check(p.MaxTokens >= 0, "max_tokens", p.MaxTokens, "must be >= 0");
        Check(p.MinTokens >= 0, "min_tokens", p.MinTokens, "must be >= 0");
        Check(p.MinTokens <= p.MaxTokens, "min_tokens", p.MinTokens,
            $"must be less than or equal to max_tokens ({p.MaxTokens}), got {p.MinTokens}");
        Check(p.Logprobs is null or >= 0 and <= MaxLogprobs, "logprobs", p.Logprobs, $"must be in [0, {MaxLogprobs}]");
        Check(p.PromptLogprobs is null or >= 0 and <= MaxLogprobs, "prompt_logprobs", p.PromptLogprobs, $"must be in [0, {MaxLogprobs}]");
        ArgumentNullException.ThrowIfNull(p.LogitBias, "logit_bias");
        foreach (var (id, bias) in p.LogitBias)
        {
            Check(id >= 0, "logit_bias", id, "token ids must be >= 0");
            Check(bias is >= -100 and <= 100, "logit_bias", bias, "values must be in [-100, 100]");
        }
        ArgumentNullException.ThrowIfNull(p.Stop, "stop");
        foreach (var stop in p.Stop)
        {
            if (string.IsNullOrEmpty(stop))
            {
                throw new ArgumentException("stop strings must not be empty", "stop");
            }
        }
        ArgumentNullException.ThrowIfNull(p.StopTokenIds, "stop_token_ids");
        foreach (var id in p.StopTokenIds)
        {
            Check(id >= 0, "stop_token_ids", id, "token ids must be >= 0");
        }
    }

    // NaN fails every range comparison, so it is rejected along with out-of-range values.
    private static void Check(bool ok, string field, object? value, string rule)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(field, value, $"{field} {rule}");
        }
    }
}
