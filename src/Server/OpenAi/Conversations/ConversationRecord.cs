using System.Text.Json;
using System.Text.Json.Serialization;
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
    /// <summary>
    /// The most a conversation's document may hold for more items to be added: 16 MiB (millions of tokens of text). A
    /// turn starts only below it, so one more answer can take it past, but never near the 64 MiB a stored document may
    /// have on disk (the responses made in it hold the conversation too, rendered).
    /// </summary>
    public const int MaxBytes = 16 << 20;

    /// <summary>The size of the stored document this record was read from (0 for one not read from the store).</summary>
    [JsonIgnore]
    public int StoredBytes { get; init; }

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, OpenAiJson.Options);

    public ConversationObject ToObject(string id) => new(id, CreatedAt, Metadata);

    /// <exception cref="StoredResponseUnreadableException">Not a document this server wrote.</exception>
    public static ConversationRecord Parse(StoredResponse stored)
    {
        try
        {
            var record = JsonSerializer.Deserialize<ConversationRecord>(stored.Document, OpenAiJson.Options);
            return record is { Metadata: not null, Items: not null }
                ? record with { StoredBytes = stored.Document.Length }
                : throw new StoredResponseUnreadableException(stored.Id, "its document is incomplete");
        }
        catch (JsonException ex)
        {
            throw new StoredResponseUnreadableException(stored.Id, $"its document is not valid JSON: {ex.Message}");
        }
    }
}
