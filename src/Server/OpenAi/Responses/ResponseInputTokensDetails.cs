namespace MambaServe.Server.OpenAi.Responses;

public sealed record ResponseInputTokensDetails(int CachedTokens);
