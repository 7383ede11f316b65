using System.Text.Json;
using MambaServe.Engine.Conversations;
using MambaServe.Server.OpenAi.Responses;

namespace MambaServe.Server.OpenAi.Conversations;

/// <summary>
/// What the state store keeps for a conversation (<c>conv_…</c>): when it was made, its metadata, its items (messages,
/// function calls inside the assistant message that made them, function call outputs as tool messages, each with its
/// id), and the stored response whose saved state the next response in it may start from. That response is only a
/// hint: the planner uses its state when the text it holds is a prefix of the conversation's rendering, so an item
/// deleted or added through the items API never makes a response read a state that does not match its text.
/// </summary>
public sealed record ConversationRecord(
    long CreatedAt,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<ConversationMessage> Items,
    string? HeadResponseId)
{
    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, OpenAiJson.Options);

    public ConversationObject ToObject(string id) => new(id, CreatedAt, Metadata);

    /// <exception cref="StoredResponseUnreadableException">Not a document this server wrote.</exception>
    public static ConversationRecord Parse(StoredResponse stored)
    {
        try
        {
            var record = JsonSerializer.Deserialize<ConversationRecord>(stored.Document, OpenAiJson.Options);
            return record is { Metadata: not null, Items: not null }
                ? record
                : throw new StoredResponseUnreadableException(stored.Id, "its document is incomplete");
        }
        catch (JsonException ex)
        {
            throw new StoredResponseUnreadableException(stored.Id, $"its document is not valid JSON: {ex.Message}");
        }
    }
}
