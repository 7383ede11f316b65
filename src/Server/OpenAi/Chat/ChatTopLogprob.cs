namespace MambaServe.Server.OpenAi.Chat;

public sealed record ChatTopLogprob(string Token, float Logprob, IReadOnlyList<int>? Bytes);
