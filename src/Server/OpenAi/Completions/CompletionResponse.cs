using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Completions;

/// <summary>A <c>text_completion</c> object; also each streamed chunk (then a choice's text is the new text only).</summary>
public sealed record CompletionResponse(string Id, long Created, string Model, IReadOnlyList<CompletionChoice> Choices, UsageInfo? Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "text_completion";
}

public sealed record CompletionChoice(int Index, string Text, CompletionLogprobs? Logprobs, string? FinishReason);

/// <summary>OpenAI's legacy logprobs: parallel lists, one entry per token; the first prompt token's entries are null.</summary>
public sealed record CompletionLogprobs(
    List<string> Tokens,
    List<float?> TokenLogprobs,
    List<Dictionary<string, float>?> TopLogprobs,
    List<int> TextOffset);
