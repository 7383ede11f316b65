namespace MambaServe.Engine.Generation;

/// <summary>The log-probability of one token (sampled or prompt) and the top alternatives at that position.</summary>
/// <param name="Logprob">Null for the first prompt token, which has no context.</param>
public sealed record TokenLogprob(int TokenId, float? Logprob, IReadOnlyList<(int TokenId, float Logprob)> Top);
