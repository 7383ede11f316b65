namespace MambaServe.Server.OpenAi.Chat;

public sealed record ChatChunkChoice(int Index, ChatDelta Delta, ChatLogprobs? Logprobs, string? FinishReason);
