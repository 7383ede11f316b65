using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Tests.Sampling;

public sealed class SamplingParamsValidatorTests
{
    public static TheoryData<string, SamplingParams> Invalid => new()
    {
        { "temperature", new SamplingParams { Temperature = -0.1f } },
        { "temperature", new SamplingParams { Temperature = float.NaN } },
        { "top_p", new SamplingParams { TopP = 0f } },
        { "top_p", new SamplingParams { TopP = 1.01f } },
        { "top_k", new SamplingParams { TopK = -1 } },
        { "min_p", new SamplingParams { MinP = -0.01f } },
        { "min_p", new SamplingParams { MinP = 1.5f } },
        { "repetition_penalty", new SamplingParams { RepetitionPenalty = 0f } },
        { "repetition_penalty", new SamplingParams { RepetitionPenalty = -1f } },
        { "presence_penalty", new SamplingParams { PresencePenalty = 2.1f } },
        { "presence_penalty", new SamplingParams { PresencePenalty = -2.1f } },
        { "frequency_penalty", new SamplingParams { FrequencyPenalty = 2.5f } },
        { "frequency_penalty", new SamplingParams { FrequencyPenalty = -3f } },
        { "logprobs", new SamplingParams { Logprobs = 21 } },
        { "logprobs", new SamplingParams { Logprobs = -1 } },
        { "prompt_logprobs", new SamplingParams { PromptLogprobs = 21 } },
        { "max_tokens", new SamplingParams { MaxTokens = -1 } },
        { "min_tokens", new SamplingParams { MinTokens = -1 } },
        { "min_tokens", new SamplingParams { MinTokens = 17, MaxTokens = 16 } },
        { "min_tokens", new SamplingParams { MinTokens = 1, MaxTokens = 0 } },
        { "logit_bias", new SamplingParams { LogitBias = new Dictionary<int, float> { [5] = 101f } } },
        { "stop", new SamplingParams { Stop = ["ok", ""] } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_OutOfRange_ThrowsWithOpenAiFieldName(string field, SamplingParams p)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => SamplingParamsValidator.Validate(p));

        Assert.Equal(field, error.ParamName);
    }

    [Fact]
    public void Validate_EdgeValues_Accepted()
    {
        SamplingParamsValidator.Validate(new SamplingParams());
        SamplingParamsValidator.Validate(new SamplingParams
        {
            Temperature = 0f, TopP = 1f, TopK = 0, MinP = 1f, RepetitionPenalty = 0.01f, PresencePenalty = -2f,
            FrequencyPenalty = 2f, Logprobs = 20, PromptLogprobs = 0, MaxTokens = 0, Stop = ["\n"],
            LogitBias = new Dictionary<int, float> { [0] = -100f, [1] = 100f },
        });
        SamplingParamsValidator.Validate(new SamplingParams { MinTokens = 16, MaxTokens = 16, IgnoreEos = true });
    }

    [Fact]
    public void Validate_MinTokensAboveMaxTokens_SaysBothLimits()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => SamplingParamsValidator.Validate(new SamplingParams { MinTokens = 9, MaxTokens = 4 }));

        Assert.StartsWith("min_tokens must be less than or equal to max_tokens (4), got 9", error.Message, StringComparison.Ordinal);
    }
}
