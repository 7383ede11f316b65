namespace MambaServe.Engine.Generation;

/// <summary>The log-probability of one token (sampled or prompt) and the top alternatives at that position.</summary>
/// <param name="Logprob">Null for the first prompt token, which has no context.</param>
/// <param name="Top">The most likely ids at that position, most likely first (the k-th has rank k + 1).</param>
/// <param name="Rank">
/// The token's rank among the sampleable vocab at that position (1: most likely; ties ordered by lower id first, as
/// <paramref name="Top"/> is). Set for scored prompt tokens (vLLM's prompt_logprobs); null where not computed
/// (the first prompt token, sampled tokens).
/// </param>
public sealed record TokenLogprob(int TokenId, float? Logprob, IReadOnlyList<(int TokenId, float Logprob)> Top, int? Rank = null);
