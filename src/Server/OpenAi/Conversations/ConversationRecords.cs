using MambaServe.Engine.Conversations;
using MambaServe.Engine.Generation;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Responses;

namespace MambaServe.Server.OpenAi.Conversations;

/// <summary>
/// Conversations in the model's state store (<see cref="ConversationStore.Save"/>: memory, and disk when a directory is
/// set, under the same budgets and age limit as stored responses; a conversation's age counts from its last change).
/// Every change is a read, an edit and a write under one lock of a fixed set, chosen by the id, so two requests that
/// change one conversation at once both land. Unknown, expired and other owners' conversations are 404s.
/// </summary>
public static class ConversationRecords
{
    private static readonly Lock[] s_locks = [.. Enumerable.Range(0, 64).Select(_ => new Lock())];

    public static (string Id, ConversationRecord Record) Create(
        IServedModel model, string owner, IReadOnlyList<ConversationMessage> items, IReadOnlyDictionary<string, string> metadata)
    {
        var store = ResponseStore.Of(model);
        var now = DateTimeOffset.UtcNow;
        string id = ResponseIds.NewConversation();
        var record = new ConversationRecord(now.ToUnixTimeSeconds(), metadata, items, null);
        store.Save(new StoredResponse(id, owner, now, record.ToBytes()));
        return (id, record);
    }

    /// <summary>The conversation, or a 404 (on <paramref name="param"/> when the id came in a request field).</summary>
    public static ConversationRecord Get(IServedModel model, string id, string owner, string? param = null) =>
        TryGet(ResponseStore.Of(model), id, owner) ?? throw NotFound(id, param);

    /// <summary>
    /// Applies <paramref name="change"/> to the conversation as it is now and stores the result; a 404 when it is gone,
    /// a 400 when the change would grow it past <see cref="ConversationRecord.MaxBytes"/>.
    /// </summary>
    public static ConversationRecord Update(IServedModel model, string id, string owner, Func<ConversationRecord, ConversationRecord> change)
    {
        var store = ResponseStore.Of(model);
        lock (LockOf(id))
        {
            var before = TryGet(store, id, owner) ?? throw NotFound(id, null);
            var record = change(before);
            var bytes = record.ToBytes();
            if (bytes.Length > ConversationRecord.MaxBytes && bytes.Length > before.StoredBytes)
            {
                throw Full(id, bytes.Length, "items");
            }

            store.Save(new StoredResponse(id, owner, DateTimeOffset.UtcNow, bytes));
            return record;
        }
    }

    /// <summary>The 400 for a conversation that may not grow: start a new one (or delete items).</summary>
    public static ApiException Full(string id, long bytes, string param) => new(400,
        $"Conversation '{id}' would hold {bytes:N0} bytes, over the {ConversationRecord.MaxBytes:N0} a conversation may hold: delete items or start a new conversation.",
        ApiException.InvalidRequest, param, "conversation_full");

    /// <summary>
    /// Appends a finished response's new input and output to its conversation and, when <paramref name="head"/> is set
    /// (the response was stored with its state), makes it the one the next response may start from. A conversation
    /// deleted meanwhile stays deleted; an item whose client id was taken meanwhile gets a new id.
    /// </summary>
    public static void Append(ConversationStore store, string id, string owner, IReadOnlyList<ConversationMessage> items, string? head)
    {
        lock (LockOf(id))
        {
            if (TryGet(store, id, owner) is not { } record)
            {
                return;
            }

            var added = ConversationItems.WithFreshIds(record.Items, items);
            var updated = record with { Items = [.. record.Items, .. added], HeadResponseId = head ?? record.HeadResponseId };
            store.Save(new StoredResponse(id, owner, DateTimeOffset.UtcNow, updated.ToBytes()));
        }
    }

    /// <summary>Deletes the conversation (its items with it; the responses made in it stay); a 404 when it is unknown.</summary>
    public static void Delete(IServedModel model, string id, string owner)
    {
        var store = ResponseStore.Of(model);
        lock (LockOf(id))
        {
            if (!ResponseIds.IsWellFormed(id, ResponseIds.ConversationPrefix) || !store.Delete(id, owner))
            {
                throw NotFound(id, null);
            }
        }
    }

    /// <summary>
    /// The stored response the conversation's next response may start from, with its state, or nulls when there is none
    /// (never set, deleted, expired, unreadable, another model's): the response then prefills the conversation from zero.
    /// </summary>
    public static (StoredConversation? Head, InitialState? State) Head(IServedModel model, ConversationRecord record, string owner)
    {
        if (record.HeadResponseId is not { } head)
        {
            return (null, null);
        }

        try
        {
            return ResponseStore.Previous(model, head, owner, "conversation") is var (document, state) && document.Messages is not null
                ? (document, state)
                : (null, Release(state));
        }
        catch (ApiException)
        {
            return (null, null);
        }
    }

    private static InitialState? Release(InitialState? state)
    {
        state?.Release();
        return null;
    }

    private static ConversationRecord? TryGet(ConversationStore store, string id, string owner)
    {
        if (!ResponseIds.IsWellFormed(id, ResponseIds.ConversationPrefix))
        {
            return null;
        }

        try
        {
            return store.Get(id, owner) is { } stored ? ConversationRecord.Parse(stored) : null;
        }
        catch (StoredResponseUnreadableException)
        {
            return null;
        }
    }

    private static Lock LockOf(string id) => s_locks[(uint)StringComparer.Ordinal.GetHashCode(id) % (uint)s_locks.Length];

    private static ApiException NotFound(string id, string? param) =>
        new(404, $"Conversation with id '{id}' not found.", ApiException.InvalidRequest, param, "not_found");
}
