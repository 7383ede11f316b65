namespace MambaServe.Engine.Sampling;

/// <summary>
/// The token a sampler picked, its log-probability under the raw logits (log-softmax over the sampleable vocab, before
/// bias, penalties and temperature) and the top alternatives (empty unless logprobs were requested).
/// </summary>
public readonly record struct ChosenToken(int TokenId, float Logprob, IReadOnlyList<(int TokenId, float Logprob)> Top);
