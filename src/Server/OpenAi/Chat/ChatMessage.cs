using System.Text.Json;

namespace MambaServe.Server.OpenAi.Chat;

public sealed class ChatMessage
{
    public string? Role { get; set; }

    /// <summary>A string, an array of content parts (only "text" parts are supported), or null.</summary>
    public JsonElement? Content { get; set; }

    public string? Name { get; set; }
}
