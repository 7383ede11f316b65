namespace MambaServe.Server.OpenAi.Responses;

public sealed record ResponseOutputTokensDetails(int ReasoningTokens);
