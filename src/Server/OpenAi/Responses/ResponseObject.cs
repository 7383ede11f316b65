using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// OpenAI's Response object as this server fills it: the assistant message of <c>output_text</c> and the function calls
/// it made, usage with <c>cached_tokens</c> (the context restored from the previous response's saved state), the
/// request's tools, tool choice and text format as given, and the fields the official clients read at their fixed
/// values (no reasoning, no truncation).
/// </summary>
public sealed record ResponseObject(
    string Id,
    long CreatedAt,
    string Status,
    ResponseError? Error,
    IncompleteDetails? IncompleteDetails,
    string? Instructions,
    int? MaxOutputTokens,
    string Model,
    IReadOnlyList<ResponseItem> Output,
    string? PreviousResponseId,
    bool Store,
    float Temperature,
    float TopP,
    ResponseUsage? Usage,
    string? User,
    IReadOnlyDictionary<string, string> Metadata)
{
    public string Object => "response";

    /// <summary>Whether the response runs in background mode (created at once, then polled with GET; <see cref="BackgroundResponses"/>).</summary>
    public bool Background { get; init; }

    /// <summary>The conversation the response was made in (its input and output are appended there), when it was.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ResponseConversationRef? Conversation { get; init; }

    public bool ParallelToolCalls { get; init; } = true;

    public ResponseReasoning Reasoning { get; } = new(null, null);

    /// <summary>The text format the request asked for (JSON mode or a schema are enforced: docs/server.md).</summary>
    public ResponseTextConfig Text { get; init; } = new(new ResponseTextFormat("text"));

    /// <summary>The request's tool_choice as given: "none", "auto" (the default), "required" or the named function.</summary>
    public object ToolChoice { get; init; } = "auto";

    /// <summary>The request's tools as given.</summary>
    public object Tools { get; init; } = Array.Empty<object>();

    public string Truncation => "disabled";
}
