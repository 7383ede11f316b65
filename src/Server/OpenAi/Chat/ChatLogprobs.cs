namespace MambaServe.Server.OpenAi.Chat;

/// <summary>Chat logprobs: one entry per generated token, with its top alternatives.</summary>
public sealed record ChatLogprobs(List<ChatTokenLogprob> Content);
