namespace MambaServe.Server.OpenAi.Chat;

public sealed record ChatTokenLogprob(string Token, float Logprob, IReadOnlyList<int>? Bytes, IReadOnlyList<ChatTopLogprob> TopLogprobs);
