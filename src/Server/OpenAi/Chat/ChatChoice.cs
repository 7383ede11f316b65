namespace MambaServe.Server.OpenAi.Chat;

public sealed record ChatChoice(int Index, ChatResponseMessage Message, ChatLogprobs? Logprobs, string? FinishReason);
