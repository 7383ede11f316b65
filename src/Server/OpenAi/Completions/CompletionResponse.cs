using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Completions;

/// <summary>A <c>text_completion</c> object; also each streamed chunk (then a choice's text is the new text only).</summary>
public sealed record CompletionResponse(string Id, long Created, string Model, IReadOnlyList<CompletionChoice> Choices, UsageInfo? Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "text_completion";
}
