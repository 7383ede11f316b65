namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// The items a stored response was generated from, oldest first, as <c>GET /v1/responses/{id}/input_items</c> lists
/// them: the whole conversation before this response's output (earlier inputs and earlier outputs, when it continued
/// a previous response), each message, function call and function call output its own item. The instructions are
/// not an item (OpenAI lists them on the response only). An assistant message that held only calls lists only them.
/// </summary>
public static class ResponseInputItems
{
    public static IReadOnlyList<ResponseItem> Of(StoredConversation stored, string responseId) =>
        stored.Messages is { } messages
            ? Of(messages.Take(messages.Count - 1).ToList(), responseId)  // the last message is this response's output
            : throw ApiException.BadRequest(
                $"The response '{responseId}' was made by the gRPC Generate call, which keeps raw text rather than items.", null);

    /// <summary>The items of <paramref name="messages"/>, the conversation before a response's output.</summary>
    public static IReadOnlyList<ResponseItem> Of(IReadOnlyList<ConversationMessage> messages, string responseId)
    {
        var items = new List<ResponseItem>(messages.Count);
        for (int index = 0; index < messages.Count; index++)
        {
            var message = messages[index];
            string id = message.Id ?? ResponseItemIds.Derived(responseId, index, -1, ResponseItemIds.PrefixOf(message));
            switch (message.Role)
            {
                case "tool":
                    items.Add(new ResponseFunctionCallOutput(id, "completed", message.ToolCallId ?? string.Empty, message.Content));
                    break;
                case "assistant":
                    if (message.ToolCalls is not { Count: > 0 } || message.Content.Length > 0)
                    {
                        items.Add(new ResponseOutputMessage(id, "completed", [new ResponseOutputText(message.Content)]));
                    }

                    items.AddRange((message.ToolCalls ?? []).Select((call, k) => new ResponseFunctionCall(
                        call.ItemId ?? ResponseItemIds.Derived(responseId, index, k, "fc_"), "completed", call.CallId, call.Name, call.Arguments)));
                    break;
                default:
                    items.Add(new ResponseInputMessage(id, "completed", message.Role, [new ResponseInputText(message.Content)]));
                    break;
            }
        }

        return items;
    }
}
