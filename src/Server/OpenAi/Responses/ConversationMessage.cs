namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// One message of a conversation: its role and its text; an assistant's function calls (<see cref="ToolCalls"/>, its
/// text then being what it wrote before them) and a tool message's answer to a call (<see cref="ToolCallId"/>).
/// Documents stored before tools had neither field and read as messages without them.
/// </summary>
public sealed record ConversationMessage(string Role, string Content, IReadOnlyList<ConversationToolCall>? ToolCalls = null, string? ToolCallId = null);

/// <summary>A function call made in a conversation: the id its output answers, the function, its arguments as JSON text.</summary>
public sealed record ConversationToolCall(string CallId, string Name, string Arguments);
