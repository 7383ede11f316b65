using System.Text;
using System.Text.Json;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// Reads a Responses <c>input</c>: a string (one user message), or a list of items: messages, each
/// <c>{"role", "content"}</c> with an optional <c>"type": "message"</c>, content a string or a list of text parts
/// (<c>input_text</c>, <c>output_text</c> or <c>text</c>); the function calls of an earlier answer
/// (<c>{"type": "function_call", "call_id", "name", "arguments"}</c>, joined to the assistant message just before them,
/// as the answer held them); and their results (<c>{"type": "function_call_output", "call_id", "output"}</c>, a tool
/// message); and, where the caller can resolve them, references to items this server stored
/// (<c>{"type": "item_reference", "id"}</c>, <see cref="ResponseItemReferences"/>). An item's own <c>id</c>, when sent, is
/// kept (input_items lists the item by it). Anything else (images, files, hosted tools' items, wrong types, invalid UTF-16) is a 400 whose param is
/// the item's path, e.g. <c>input[2].content[0].text</c>.
/// </summary>
public static class ResponseInputParser
{
    private static readonly string[] s_roles = ["user", "assistant", "system", "developer"];
    private static readonly string[] s_textParts = ["input_text", "output_text", "text"];

    /// <param name="param">The request field that holds the items: <c>input</c>, or <c>items</c> on the Conversations API.</param>
    /// <param name="references">
    /// Resolves an <c>item_reference</c> (its id and the item's path) to the item it names; null where references are
    /// not taken (an item_reference is then a 400 like any unsupported item).
    /// </param>
    public static List<ConversationMessage> Parse(JsonElement? input, string param = "input", Func<string, string, ConversationMessage>? references = null)
    {
        if (input is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            throw ApiException.BadRequest($"{param} is required: a string or a list of messages.", param);
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            return [new ConversationMessage("user", Text(element, param))];
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadRequest($"{param} must be a string or a list of messages.", param);
        }

        var messages = new List<ConversationMessage>();
        int index = 0;
        foreach (var item in element.EnumerateArray())
        {
            string path = $"{param}[{index++}]";
            switch (ItemType(item, path, references is not null))
            {
                case "message":
                    messages.Add(Message(item, path));
                    break;
                case "item_reference":
                    messages.Add(references!(Text(Required(item, "id", path, JsonValueKind.String), $"{path}.id"), path));
                    break;
                case "function_call":
                    var call = Call(item, path);
                    if (messages.Count > 0 && messages[^1] is { Role: "assistant" } reply)
                    {
                        messages[^1] = reply with { ToolCalls = [.. reply.ToolCalls ?? [], call] };
                    }
                    else
                    {
                        messages.Add(new ConversationMessage("assistant", string.Empty, [call]));
                    }

                    break;
                default:
                    messages.Add(new ConversationMessage(
                        "tool", Content(Required(item, "output", path), $"{path}.output"), null, Text(Required(item, "call_id", path, JsonValueKind.String), $"{path}.call_id"),
                        ItemId(item, path)));
                    break;
            }
        }

        if (messages.Count == 0)
        {
            throw ApiException.BadRequest($"{param} must not be an empty list.", param);
        }

        return messages;
    }

    /// <summary>A function call's result answers an earlier call: a call_id that no call of the conversation has is a 400.</summary>
    public static void CheckToolOutputs(IReadOnlyList<ConversationMessage> conversation)
    {
        var calls = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in conversation)
        {
            calls.UnionWith(message.ToolCalls?.Select(c => c.CallId) ?? []);
            if (message.ToolCallId is { } id && !calls.Contains(id))
            {
                throw ApiException.BadRequest(
                    $"No function call found for the function_call_output with call_id `{id}`: it must answer a function_call earlier in the conversation.", "input");
            }
        }
    }

    /// <summary>The item's type: message (also when left out), function_call, function_call_output or (when taken) item_reference; else a 400.</summary>
    private static string ItemType(JsonElement item, string path, bool references)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.BadRequest($"{path} must be a message object with a role and content.", path);
        }

        if (!item.TryGetProperty("type", out var type))
        {
            return "message";
        }

        string? text = type.ValueKind == JsonValueKind.String ? Text(type, $"{path}.type") : null;
        return text is "message" or "function_call" or "function_call_output" || (references && text == "item_reference")
            ? text!
            : throw ApiException.BadRequest(
                $"{path}.type: only message, function_call, function_call_output{(references ? " and item_reference" : string.Empty)} items are supported.", $"{path}.type");
    }

    /// <summary>An earlier function call: call_id, name and arguments (JSON text), all strings.</summary>
    private static ConversationToolCall Call(JsonElement item, string path) => new(
        Text(Required(item, "call_id", path, JsonValueKind.String), $"{path}.call_id"),
        Text(Required(item, "name", path, JsonValueKind.String), $"{path}.name"),
        Text(Required(item, "arguments", path, JsonValueKind.String), $"{path}.arguments"),
        ItemId(item, path));

    /// <summary>The item's own <c>id</c> when the client sent one (a string), kept so that input_items lists it by that id.</summary>
    private static string? ItemId(JsonElement item, string path) =>
        !item.TryGetProperty("id", out var id) || id.ValueKind == JsonValueKind.Null ? null
        : id.ValueKind == JsonValueKind.String ? Text(id, $"{path}.id")
        : throw ApiException.BadRequest($"{path}.id must be a string.", $"{path}.id");

    private static JsonElement Required(JsonElement item, string field, string path, JsonValueKind? kind = null)
    {
        if (!item.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw ApiException.BadRequest($"{path}.{field} is required.", $"{path}.{field}");
        }

        return kind is null || value.ValueKind == kind ? value : throw ApiException.BadRequest($"{path}.{field} must be a string.", $"{path}.{field}");
    }

    private static ConversationMessage Message(JsonElement item, string path)
    {
        if (!item.TryGetProperty("role", out var roleElement) || roleElement.ValueKind != JsonValueKind.String)
        {
            throw ApiException.BadRequest($"{path}.role must be one of {string.Join(", ", s_roles)}.", $"{path}.role");
        }

        var role = Text(roleElement, $"{path}.role");
        if (!s_roles.Contains(role))
        {
            throw ApiException.BadRequest($"{path}.role must be one of {string.Join(", ", s_roles)}; got `{role}`.", $"{path}.role");
        }

        if (!item.TryGetProperty("content", out var content))
        {
            throw ApiException.BadRequest($"{path}.content is required.", $"{path}.content");
        }

        return new ConversationMessage(role, Content(content, $"{path}.content"), Id: ItemId(item, path));
    }

    private static string Content(JsonElement content, string path)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return Text(content, path);
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadRequest($"{path} must be a string or a list of text parts.", path);
        }

        var text = new StringBuilder();
        int index = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partPath = $"{path}[{index++}]";
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || !s_textParts.Contains(Text(type, $"{partPath}.type")))
            {
                throw ApiException.BadRequest(
                    $"{partPath}: only text parts ({{\"type\": \"input_text\", \"text\": ...}}) are supported.", $"{partPath}.type");
            }

            if (!part.TryGetProperty("text", out var value) || value.ValueKind != JsonValueKind.String)
            {
                throw ApiException.BadRequest($"{partPath}.text must be a string.", $"{partPath}.text");
            }

            text.Append(Text(value, $"{partPath}.text"));
        }

        return text.ToString();
    }

    /// <summary>A JSON string as .NET text; a lone surrogate (\ud800) is a 400 rather than an exception deeper down.</summary>
    internal static string Text(JsonElement value, string path) =>
        Utf16Text.StringOf(value) ?? throw ApiException.BadRequest($"{path} is not valid Unicode text (a lone surrogate).", path);
}
