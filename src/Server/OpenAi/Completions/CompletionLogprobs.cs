namespace MambaServe.Server.OpenAi.Completions;

/// <summary>OpenAI's legacy logprobs: parallel lists, one entry per token; the first prompt token's entries are null.</summary>
public sealed record CompletionLogprobs(
    List<string> Tokens,
    List<float?> TokenLogprobs,
    List<Dictionary<string, float>?> TopLogprobs,
    List<int> TextOffset);
