using System.Text.Json;

namespace MambaServe.Server.OpenAi.Chat;

public sealed class ChatMessage
{
    public string? Role { get; set; }

    /// <summary>A string, an array of content parts (only "text" parts are supported), or null.</summary>
    public JsonElement? Content { get; set; }

    public string? Name { get; set; }

    /// <summary>An assistant message's earlier tool calls (<see cref="ChatToolHistory"/>): <c>[{"id", "type": "function", "function": {"name", "arguments"}}]</c>.</summary>
    public JsonElement? ToolCalls { get; set; }

    /// <summary>A tool message's answer to which call.</summary>
    public string? ToolCallId { get; set; }
}
