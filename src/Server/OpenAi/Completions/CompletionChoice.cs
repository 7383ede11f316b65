namespace MambaServe.Server.OpenAi.Completions;

public sealed record CompletionChoice(int Index, string Text, CompletionLogprobs? Logprobs, string? FinishReason);
