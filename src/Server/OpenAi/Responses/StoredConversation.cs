using System.Text.Json;
using MambaServe.Engine.Conversations;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// The document stored beside a response's state: the response object (what GET returns), the conversation so far
/// (every message without the system one, this response's output last, as an assistant message), and what the state
/// holds: <see cref="ContextText"/> is the text whose tokens went into the state (the rendered prompt and the output
/// text), <see cref="PendingToken"/> the sampled token still to feed, <see cref="StateTokens"/> how many tokens the state has
/// seen (a continuation reports them as cached). <see cref="Messages"/> is null for a gRPC Generate response, whose
/// continuation appends raw text.
/// </summary>
public sealed record StoredConversation(
    JsonElement Response,
    IReadOnlyList<ConversationMessage>? Messages,
    string ContextText,
    int? PendingToken,
    int StateTokens)
{
    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, OpenAiJson.Options);

    /// <exception cref="StoredResponseUnreadableException">Not a document this server wrote.</exception>
    public static StoredConversation Parse(StoredResponse stored)
    {
        try
        {
            var document = JsonSerializer.Deserialize<StoredConversation>(stored.Document, OpenAiJson.Options);
            if (document is null || document.Response.ValueKind != JsonValueKind.Object || document.ContextText is null)
            {
                throw new StoredResponseUnreadableException(stored.Id, "its document is incomplete");
            }

            return document;
        }
        catch (JsonException ex)
        {
            throw new StoredResponseUnreadableException(stored.Id, $"its document is not valid JSON: {ex.Message}");
        }
    }
}
