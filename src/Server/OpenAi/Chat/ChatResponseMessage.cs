using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Chat;

/// <param name="Content">The text; null when the answer is a tool call.</param>
/// <param name="ToolCalls">The calls the model made (a forced tool choice), else left out.</param>
public sealed record ChatResponseMessage(
    string? Content,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ChatToolCall>? ToolCalls = null)
{
    public string Role => "assistant";
}
