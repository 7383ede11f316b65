namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// One message of a conversation: its role and its text; an assistant's function calls (<see cref="ToolCalls"/>, its
/// text then being what it wrote before them) and a tool message's answer to a call (<see cref="ToolCallId"/>).
/// <see cref="Id"/> is the item id that <c>input_items</c> lists it by (the message's, or the function call output's):
/// the client's when it sent one, else given when the conversation is first stored, so that every later response of
/// the conversation lists the item by the same id. Documents stored before tools or ids had those fields and read as
/// messages without them.
/// </summary>
public sealed record ConversationMessage(
    string Role, string Content, IReadOnlyList<ConversationToolCall>? ToolCalls = null, string? ToolCallId = null, string? Id = null);

/// <summary>
/// A function call made in a conversation: the id its output answers, the function, its arguments as JSON text, and
/// the call's item id (<c>fc_...</c>, as in the response that made it).
/// </summary>
public sealed record ConversationToolCall(string CallId, string Name, string Arguments, string? ItemId = null);
