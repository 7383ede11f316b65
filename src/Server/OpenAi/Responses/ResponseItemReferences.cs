using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// <c>{"type": "item_reference", "id"}</c> in a Responses input: an item this server stored, sent by id rather than
/// by value. The official AI SDK (<c>@ai-sdk/openai</c>) sends every earlier assistant answer so when <c>store</c> is on,
/// its default. What can be referenced is a stored response's output message: its id is <c>msg_</c> and that response
/// id's hex digits (<see cref="ResponseItemIds.OutputMessageOf"/>), so the reference names the response to read, under
/// the caller's key (or the socket's own, for its unstored responses). Anything else (an unknown, deleted, unstored or
/// another key's item, a function call's id, an id from before 2026-12-07) is a 404, <c>Item with id '…' not found.</c>,
/// as OpenAI answers; its param is the reference's path.
/// </summary>
public static class ResponseItemReferences
{
    /// <summary>The resolver <see cref="ResponseInputParser.Parse"/> takes: an id and the item's path to the assistant message it names.</summary>
    public static Func<string, string, ConversationMessage> For(IServedModel model, string owner, ResponseSocketCache? local) =>
        (id, path) => Resolve(model, owner, local, id, path);

    private static ConversationMessage Resolve(IServedModel model, string owner, ResponseSocketCache? local, string id, string path)
    {
        if (ResponseItemIds.ResponseOfOutputMessage(id) is { } responseId)
        {
            try
            {
                var document = ResponseStore.Get(model, responseId, local?.OwnerOf(responseId) ?? owner);
                if (document.Messages?.LastOrDefault(m => m.Id == id && m.Role == "assistant") is { } message)
                {
                    // The answer's text alone: an item_reference names one item, and the answer's calls come as their own items.
                    return new ConversationMessage("assistant", message.Content, Id: id);
                }
            }
            catch (ApiException missing) when (missing.Status == 404)
            {
                // The response is gone (or never was, or is another key's): the item is not found, as below.
            }
        }

        throw new ApiException(404, $"Item with id '{id}' not found.", ApiException.InvalidRequest, $"{path}.id", "item_not_found");
    }
}
