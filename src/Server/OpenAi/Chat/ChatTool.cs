using System.Text.Json;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>One entry of a chat request's <c>tools</c>: <c>{"type": "function", "function": {...}}</c>.</summary>
public sealed class ChatTool
{
    public string? Type { get; set; }

    public ChatFunction? Function { get; set; }
}

/// <summary>A function the model may be made to call: its name, what it does, and its arguments as a JSON schema.</summary>
public sealed class ChatFunction
{
    public string? Name { get; set; }

    public string? Description { get; set; }

    public JsonElement? Parameters { get; set; }

    public bool? Strict { get; set; }
}
