using System.Text.Json;
using System.Text.Json.Serialization;

namespace MambaServe.Server.Anthropic;

/// <summary>
/// Anthropic's Message object: the assistant's content blocks (text, then tool_use), why it stopped
/// (<c>end_turn</c>, <c>max_tokens</c>, <c>stop_sequence</c> with the sequence, <c>tool_use</c>) and the token usage.
/// </summary>
public sealed record MessagesResponse(
    [property: JsonPropertyOrder(-2)] string Id, string Model, IReadOnlyList<object> Content, string? StopReason, string? StopSequence, MessagesUsage Usage)
{
    [JsonPropertyOrder(-1)]
    public string Type => "message";

    [JsonPropertyOrder(-1)]
    public string Role => "assistant";
}

public sealed record MessagesUsage(int InputTokens, int OutputTokens);

/// <summary>A text content block.</summary>
public sealed record MessagesTextBlock(string Text)
{
    [JsonPropertyOrder(-1)]
    public string Type => "text";
}

/// <summary>A tool_use content block: the call's id (a tool_result answers it), the tool and its input object.</summary>
public sealed record MessagesToolUseBlock(string Id, string Name, JsonElement Input)
{
    [JsonPropertyOrder(-1)]
    public string Type => "tool_use";
}

/// <summary>POST /v1/messages/count_tokens answer.</summary>
public sealed record MessagesTokenCount(int InputTokens);
