namespace MambaServe.Server.OpenAi.Conversations;

/// <summary>POST /v1/conversations/{id} body: the metadata that replaces the conversation's (null or empty clears it).</summary>
public sealed class ConversationUpdateRequest
{
    public Dictionary<string, string?>? Metadata { get; set; }
}
