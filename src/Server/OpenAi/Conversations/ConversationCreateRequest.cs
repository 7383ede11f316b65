using System.Text.Json;

namespace MambaServe.Server.OpenAi.Conversations;

/// <summary>POST /v1/conversations body: up to <see cref="ConversationItems.MaxPerRequest"/> first items (Responses input items) and metadata.</summary>
public sealed class ConversationCreateRequest
{
    public JsonElement? Items { get; set; }

    public Dictionary<string, string?>? Metadata { get; set; }
}
