using System.Globalization;
using MambaServe.Engine.Sampling;

namespace MambaServe.Server.OpenAi;

/// <summary>Turns the request's sampling fields into validated engine <see cref="SamplingParams"/> (400 with param on bad values).</summary>
public static class SamplingMapper
{
    /// <param name="maxTokensField">The field <paramref name="maxTokens"/> came from, for min_tokens' error (chat's max_completion_tokens).</param>
    public static SamplingParams Map(SamplingRequest request, int maxTokens, int? logprobs, int? promptLogprobs, int sampleableVocab, string maxTokensField = "max_tokens")
    {
        if (request.MinTokens is > 0 and var min && min > maxTokens)
        {
            // The engine's validator says the same, naming max_tokens whichever field set it.
            throw ApiException.BadRequest($"min_tokens must be less than or equal to {maxTokensField} ({maxTokens}), got {min}", "min_tokens");
        }

        var defaults = new SamplingParams();
        var sampling = new SamplingParams
        {
            Temperature = request.Temperature ?? defaults.Temperature,
            TopP = request.TopP ?? defaults.TopP,
            TopK = request.TopK is -1 ? 0 : request.TopK ?? defaults.TopK,
            MinP = request.MinP ?? defaults.MinP,
            PresencePenalty = request.PresencePenalty ?? defaults.PresencePenalty,
            FrequencyPenalty = request.FrequencyPenalty ?? defaults.FrequencyPenalty,
            RepetitionPenalty = request.RepetitionPenalty ?? defaults.RepetitionPenalty,
            LogitBias = ParseLogitBias(request.LogitBias, sampleableVocab),
            Seed = request.Seed,
            MaxTokens = maxTokens,
            MinTokens = request.MinTokens ?? defaults.MinTokens,
            Stop = request.Stop ?? [],
            StopTokenIds = request.StopTokenIds ?? [],
            IgnoreEos = request.IgnoreEos ?? false,
            IncludeStopStrInOutput = request.IncludeStopStrInOutput ?? false,
            // vLLM's default; the engine's own default (false) keeps gRPC and generate as they were.
            SkipSpecialTokens = request.SkipSpecialTokens ?? true,
            Logprobs = logprobs,
            PromptLogprobs = promptLogprobs,
        };
        SamplingParamsValidator.Validate(sampling);
        return sampling;
    }

    // OpenAI sends logit_bias keys as strings ("50256": -100): token ids of the served vocab.
    private static Dictionary<int, float> ParseLogitBias(Dictionary<string, float>? bias, int sampleableVocab)
    {
        var result = new Dictionary<int, float>();
        foreach (var (key, value) in bias ?? [])
        {
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id >= sampleableVocab)
            {
                throw ApiException.BadRequest($"logit_bias key `{key}` is not a token id of this model (0..{sampleableVocab - 1}).", "logit_bias");
            }

            result[id] = value;
        }

        return result;
    }
}
