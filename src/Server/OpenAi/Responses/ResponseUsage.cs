namespace MambaServe.Server.OpenAi.Responses;

/// <summary>Usage as OpenAI reports it: input counts the whole context; cached_tokens the part restored from a saved state.</summary>
public sealed record ResponseUsage(int InputTokens, ResponseInputTokensDetails InputTokensDetails, int OutputTokens, ResponseOutputTokensDetails OutputTokensDetails)
{
    public int TotalTokens => InputTokens + OutputTokens;

    public static ResponseUsage Of(int input, int cached, int output) => new(input, new(cached), output, new(0));
}
