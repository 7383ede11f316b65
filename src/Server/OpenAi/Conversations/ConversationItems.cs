using System.Text.Json;
using MambaServe.Server.OpenAi.Responses;

namespace MambaServe.Server.OpenAi.Conversations;

/// <summary>
/// A conversation's items: new ones read from a request (the Responses input item forms, each given an id unless the
/// client sent one, which must not repeat an id the conversation holds), listed as the Responses API lists input items,
/// found by id, and deleted by id. A function call lives inside the assistant message that made it, so deleting a call
/// removes it from that message, and deleting the message's text keeps its calls.
/// </summary>
public static class ConversationItems
{
    /// <summary>OpenAI takes at most 20 items in one create call.</summary>
    public const int MaxPerRequest = 20;

    /// <summary>The items of a create or append request, stamped with ids; an empty list is allowed only when <paramref name="required"/> is false.</summary>
    public static IReadOnlyList<ConversationMessage> Read(JsonElement? items, IReadOnlyList<ConversationMessage> existing, bool required)
    {
        if (items is not { ValueKind: not JsonValueKind.Null } list)
        {
            return required ? throw ApiException.BadRequest("items is required: a list of 1 to 20 items.", "items") : [];
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadRequest("items must be a list of items (messages, function calls and function call outputs).", "items");
        }

        int count = list.GetArrayLength();
        if (count == 0 && !required)
        {
            return [];
        }

        if (count > MaxPerRequest)
        {
            throw ApiException.BadRequest($"items may hold at most {MaxPerRequest} items in one request; got {count}.", "items");
        }

        var added = ResponseInputParser.Parse(list, "items");
        return Stamped(existing, added, "items");
    }

    /// <summary>
    /// <paramref name="added"/> with an id on every item that had none; a client's id that repeats one of
    /// <paramref name="existing"/> or of another added item is a 400 on <paramref name="param"/>.
    /// </summary>
    public static IReadOnlyList<ConversationMessage> Stamped(IReadOnlyList<ConversationMessage> existing, IReadOnlyList<ConversationMessage> added, string param)
    {
        var ids = new HashSet<string>(existing.SelectMany(IdsOf), StringComparer.Ordinal);
        foreach (var id in added.SelectMany(IdsOf))
        {
            if (!ids.Add(id))
            {
                throw ApiException.BadRequest($"The conversation already holds an item with id `{id}`: each item's id must be new.", param);
            }
        }

        return [.. added.Select(ResponseItemIds.Stamped)];
    }

    /// <summary>
    /// <paramref name="added"/> where each item whose id (or one of its calls' ids) <paramref name="existing"/> already
    /// holds gets new ids: a turn appended after another took those ids meanwhile.
    /// </summary>
    public static IReadOnlyList<ConversationMessage> WithFreshIds(IReadOnlyList<ConversationMessage> existing, IReadOnlyList<ConversationMessage> added)
    {
        var taken = new HashSet<string>(existing.SelectMany(IdsOf), StringComparer.Ordinal);
        return [.. added.Select(m => IdsOf(m).Any(taken.Contains)
            ? ResponseItemIds.Stamped(m with { Id = null, ToolCalls = m.ToolCalls?.Select(c => c with { ItemId = null }).ToList() })
            : m)];
    }

    /// <summary>The items as listed (oldest first), each message, function call and output its own item.</summary>
    public static IReadOnlyList<ResponseItem> List(string conversationId, IReadOnlyList<ConversationMessage> messages) =>
        ResponseInputItems.Of(messages, conversationId);

    /// <summary>The listed item <paramref name="itemId"/>, or a 404.</summary>
    public static ResponseItem Find(string conversationId, IReadOnlyList<ConversationMessage> messages, string itemId) =>
        List(conversationId, messages).FirstOrDefault(item => item.Id == itemId) ?? throw NotFound(conversationId, itemId);

    /// <summary>The conversation without item <paramref name="itemId"/>, or a 404 when no listed item has that id.</summary>
    public static IReadOnlyList<ConversationMessage> Without(string conversationId, IReadOnlyList<ConversationMessage> messages, string itemId)
    {
        Find(conversationId, messages, itemId);
        var kept = new List<ConversationMessage>(messages.Count);
        foreach (var message in messages)
        {
            var calls = message.ToolCalls?.Where(call => call.ItemId != itemId).ToList();
            var edited = message.Id == itemId
                ? message with { Content = string.Empty }
                : message with { ToolCalls = calls is { Count: > 0 } ? calls : null };
            bool emptied = message.Id == itemId ? edited.ToolCalls is not { Count: > 0 } : calls is { Count: 0 } && message.Content.Length == 0;
            if (!emptied)
            {
                kept.Add(edited);
            }
        }

        return kept;
    }

    private static IEnumerable<string> IdsOf(ConversationMessage message) =>
        (message.Id is { } id ? [id] : Array.Empty<string>()).Concat(message.ToolCalls?.Select(c => c.ItemId).OfType<string>() ?? []);

    private static ApiException NotFound(string conversationId, string itemId) =>
        new(404, $"Item with id '{itemId}' not found in conversation '{conversationId}'.", ApiException.InvalidRequest, null, "not_found");
}
