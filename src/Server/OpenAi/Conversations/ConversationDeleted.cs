namespace MambaServe.Server.OpenAi.Conversations;

/// <summary>DELETE /v1/conversations/{id} answer.</summary>
public sealed record ConversationDeleted(string Id)
{
    public string Object => "conversation.deleted";

    public bool Deleted => true;
}
