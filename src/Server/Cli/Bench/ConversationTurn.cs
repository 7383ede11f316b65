namespace MambaServe.Server.Cli.Bench;

/// <summary>One turn of a benchmark conversation: its time to first token, the text it produced, prompt and cached tokens.</summary>
public sealed record ConversationTurn(double TtftMs, string Text, int InputTokens, int CachedTokens, string? ResponseId);
