using System.Text.Json.Serialization;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi;

/// <summary>
/// Completions' and chat's usage. A request's final usage has OpenAI's <c>prompt_tokens_details.cached_tokens</c> (vLLM's
/// with <c>--enable-prompt-tokens-details</c>): the prompt tokens the prefix-state cache spared the prefill. vLLM's
/// continuous usage chunks leave it out, as the count is known only once a choice ends.
/// </summary>
public sealed record UsageInfo(
    int PromptTokens,
    int CompletionTokens,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonPropertyOrder(1)] PromptTokensDetails? PromptTokensDetails = null)
{
    public int TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>The usage at the end of <paramref name="run"/>, with <paramref name="completionTokens"/> generated over its choices.</summary>
    public static UsageInfo Final(GenerationRun run, int completionTokens) =>
        new(run.PromptTokens, completionTokens, new PromptTokensDetails(run.CachedPromptTokens));
}

public sealed record PromptTokensDetails(int CachedTokens);
