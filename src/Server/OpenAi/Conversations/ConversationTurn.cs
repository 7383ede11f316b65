using System.Text.Json;
using MambaServe.Engine.Conversations;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Responses;

namespace MambaServe.Server.OpenAi.Conversations;

/// <summary>
/// A response created with <c>conversation</c>: the conversation's items are its earlier turns (with the state of the
/// conversation's last stored response when its text is a prefix of theirs), and once the response has finished its
/// new input and its output are appended to the conversation. <see cref="PriorItems"/> is how many items the
/// conversation held when the response was planned: the items after them in the response's conversation are its own.
/// </summary>
public sealed record ConversationTurn(ConversationStore Store, string Id, string Owner, int PriorItems)
{
    /// <summary>
    /// The conversation id of the request's <c>conversation</c> (an id, or an object with its <c>id</c>), or null when
    /// it has none; a 400 when it is malformed or given with <c>previous_response_id</c> (one of them says what came before).
    /// </summary>
    public static string? IdOf(ResponsesRequest request)
    {
        if (request.Conversation is not { ValueKind: not JsonValueKind.Null } value)
        {
            return null;
        }

        string? id = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.EnumerateObject().All(p => p.Name == "id") && value.TryGetProperty("id", out var inner)
                && inner.ValueKind == JsonValueKind.String => inner.GetString(),
            _ => null,
        };
        if (string.IsNullOrEmpty(id))
        {
            throw ApiException.BadRequest("conversation must be a conversation id, or an object with only its `id`.", "conversation");
        }

        if (request.PreviousResponseId is not null)
        {
            throw ApiException.BadRequest(
                "conversation and previous_response_id are mutually exclusive: a response continues either a conversation or a previous response.", "conversation");
        }

        return id;
    }

    /// <summary>Plans a response in conversation <paramref name="id"/>: its items, then <paramref name="input"/> (whose client ids must be new).</summary>
    public static ConversationPlan Plan(
        IServedModel model, string id, string? instructions, IReadOnlyList<ConversationMessage> input, string owner, JsonElement? tools)
    {
        var record = ConversationRecords.Get(model, id, owner, "conversation");
        if (record.StoredBytes > ConversationRecord.MaxBytes)
        {
            throw ConversationRecords.Full(id, record.StoredBytes, "conversation");
        }

        var stamped = ConversationItems.Stamped(record.Items, input, "input");
        var (head, state) = ConversationRecords.Head(model, record, owner);
        var prior = new StoredConversation(
            head?.Response ?? default, record.Items, head?.ContextText ?? string.Empty, head?.PendingToken, head?.StateTokens ?? 0);
        return ConversationPlanner.Plan(model, instructions, stamped, prior, state, tools) with
        {
            Turn = new ConversationTurn(ResponseStore.Of(model), id, owner, record.Items.Count),
        };
    }

    /// <summary>
    /// Appends the response's own items (those of <paramref name="conversation"/> after <see cref="PriorItems"/>, then
    /// <paramref name="reply"/>); <paramref name="head"/> is the response's id when it was stored with its state.
    /// </summary>
    public void Append(IReadOnlyList<ConversationMessage> conversation, ConversationMessage reply, string? head) =>
        ConversationRecords.Append(Store, Id, Owner, [.. conversation.Skip(PriorItems), reply], head);
}
