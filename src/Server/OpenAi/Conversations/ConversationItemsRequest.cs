using System.Text.Json;

namespace MambaServe.Server.OpenAi.Conversations;

/// <summary>POST /v1/conversations/{id}/items body: 1 to <see cref="ConversationItems.MaxPerRequest"/> Responses input items to append.</summary>
public sealed class ConversationItemsRequest
{
    public JsonElement? Items { get; set; }
}
