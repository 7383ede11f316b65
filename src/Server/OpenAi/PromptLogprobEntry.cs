namespace MambaServe.Server.OpenAi;

/// <summary>One token of a prompt_logprobs position: vLLM's <c>{"logprob", "rank", "decoded_token"}</c>.</summary>
/// <param name="Rank">1: the most likely token at that position.</param>
public sealed record PromptLogprobEntry(float Logprob, int? Rank, string DecodedToken);
