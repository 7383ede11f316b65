namespace MambaServe.Server.OpenAi.Conversations;

/// <summary>OpenAI's Conversation object: its id, when it was made (Unix seconds) and its metadata. Its items are listed apart.</summary>
public sealed record ConversationObject(string Id, long CreatedAt, IReadOnlyDictionary<string, string> Metadata)
{
    public string Object => "conversation";
}
