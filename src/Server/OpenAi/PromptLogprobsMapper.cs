using System.Globalization;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi;

/// <summary>
/// vLLM's prompt_logprobs on completion and chat choices: one entry per prompt token, the first null, the others
/// <c>{"&lt;token id&gt;": {"logprob", "rank", "decoded_token"}}</c> holding the prompt's token and the top
/// <c>prompt_logprobs</c> alternatives (the prompt's token once when it is among them).
/// </summary>
public sealed class PromptLogprobsMapper(TokenNames names, int topN)
{
    /// <summary>
    /// The request's prompt_logprobs to score: null, or 0..<see cref="SamplingParamsValidator.MaxLogprobs"/> (400
    /// otherwise). As vLLM, a streamed request may not ask for alternatives (400) and gets no prompt_logprobs at all,
    /// so 0 with <paramref name="stream"/> scores nothing.
    /// </summary>
    public static int? Check(int? promptLogprobs, bool stream) => promptLogprobs switch
    {
        null => null,
        -1 => throw ApiException.BadRequest(
            $"prompt_logprobs=-1 (the whole vocabulary) is not supported; at most {SamplingParamsValidator.MaxLogprobs} alternatives per token.", "prompt_logprobs"),
        < 0 or > SamplingParamsValidator.MaxLogprobs => throw ApiException.BadRequest(
            $"prompt_logprobs must be in [0, {SamplingParamsValidator.MaxLogprobs}], got {promptLogprobs}.", "prompt_logprobs"),
        > 0 when stream => throw ApiException.BadRequest("`prompt_logprobs` are not available when `stream=True`.", "prompt_logprobs"),
        _ => stream ? null : promptLogprobs,
    };

    /// <summary>
    /// The mapper for a request's checked prompt_logprobs (<see cref="Check"/>), or null when none are asked for.
    /// vLLM's decoded_token is the token's text whatever return_tokens_as_token_ids says.
    /// </summary>
    public static PromptLogprobsMapper? For(IServedModel model, int? promptTop) =>
        promptTop is { } top ? new PromptLogprobsMapper(new TokenNames(model, false), top) : null;

    /// <summary>The engine's scoring depth: both echo's and prompt_logprobs' alternatives come from one list.</summary>
    public static int? EngineTop(int? echoTop, int? promptTop) =>
        echoTop is null ? promptTop : promptTop is null ? echoTop : Math.Max(echoTop.Value, promptTop.Value);

    /// <summary>The same scored token with at most <paramref name="n"/> alternatives (the engine's list is most likely first).</summary>
    public static TokenLogprob WithTop(TokenLogprob scored, int n) =>
        scored.Top.Count <= n ? scored : scored with { Top = scored.Top.Take(n).ToList() };

    public List<Dictionary<string, PromptLogprobEntry>?> Map(IReadOnlyList<TokenLogprob> scored)
    {
        var result = new List<Dictionary<string, PromptLogprobEntry>?>(scored.Count);
        foreach (var token in scored)
        {
            if (token.Logprob is not { } logprob)
            {
                result.Add(null);
                continue;
            }

            var entries = new Dictionary<string, PromptLogprobEntry>
            {
                [Key(token.TokenId)] = new(TokenNames.Clamp(logprob), token.Rank, names.Of(token.TokenId)),
            };
            int count = Math.Min(topN, token.Top.Count);
            for (int k = 0; k < count; k++)
            {
                var (id, alternative) = token.Top[k];
                entries.TryAdd(Key(id), new PromptLogprobEntry(TokenNames.Clamp(alternative), k + 1, names.Of(id)));
            }

            result.Add(entries);
        }

        return result;
    }

    private static string Key(int id) => id.ToString(CultureInfo.InvariantCulture);
}
