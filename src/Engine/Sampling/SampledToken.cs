namespace MambaServe.Engine.Sampling;

/// <summary>
/// One sampled token. <paramref name="Logprob"/> and <paramref name="Top"/> are log_softmax of the raw model logits
/// (before bias, penalties and temperature) over the sampleable vocab, as OpenAI and vLLM report them;
/// <paramref name="Top"/> is the N most likely tokens, most likely first (empty when logprobs are off or 0).
/// </summary>
public readonly record struct SampledToken(int TokenId, float Logprob, IReadOnlyList<(int TokenId, float Logprob)> Top);
