namespace MambaServe.Server.Hosting;

/// <summary>One prompt of a request, tokenized and checked; <see cref="Text"/> is the text it came from (for echo), if any.</summary>
public sealed record PreparedPrompt(IReadOnlyList<int> Tokens, string? Text);
