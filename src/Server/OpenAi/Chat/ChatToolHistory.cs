using System.Text.Json;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// Earlier tool calls in the messages (an assistant message's <c>tool_calls</c>, a tool message's
/// <c>tool_call_id</c>), as clients send them back: checked here, and given to templates as vLLM gives them, with
/// each call's arguments parsed into an object (chat templates read <c>tool_call.function.arguments</c> as a map).
/// </summary>
public static class ChatToolHistory
{
    /// <summary>Checks a message's tool fields; a bad one is a 400 naming it.</summary>
    public static void Check(ChatMessage message, int index)
    {
        if (message.ToolCallId is not null && message.Role != "tool")
        {
            throw ApiException.BadRequest($"messages[{index}].tool_call_id belongs to a `tool` message.", $"messages[{index}].tool_call_id");
        }

        if (message.ToolCalls is not { ValueKind: not JsonValueKind.Null } calls)
        {
            return;
        }

        string field = $"messages[{index}].tool_calls";
        if (message.Role != "assistant")
        {
            throw ApiException.BadRequest($"{field} belongs to an `assistant` message.", field);
        }

        if (calls.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadRequest($"{field} must be an array of tool calls.", field);
        }

        int i = 0;
        foreach (var call in calls.EnumerateArray())
        {
            if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || !function.TryGetProperty("arguments", out var arguments) || arguments.ValueKind != JsonValueKind.String)
            {
                throw ApiException.BadRequest(
                    $"{field}[{i}] must be {{\"id\", \"type\": \"function\", \"function\": {{\"name\", \"arguments\": \"<JSON text>\"}}}}.", $"{field}[{i}]");
            }

            i++;
        }
    }

    /// <summary>The calls for a template: each as sent, with function.arguments parsed when it is JSON text.</summary>
    public static List<object?> ForTemplate(JsonElement calls) =>
        [.. calls.EnumerateArray().Select(call => (object?)call.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name,
            p.Name == "function" ? Function(p.Value) : p.Value)).ToList())];

    /// <summary>The calls' arguments as the model wrote them, one per line (the default template's rendering of a call).</summary>
    public static string ArgumentsText(JsonElement calls) =>
        string.Join('\n', calls.EnumerateArray().Select(call => call.GetProperty("function").GetProperty("arguments").GetString()));

    private static List<KeyValuePair<string, object?>> Function(JsonElement function) =>
        [.. function.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, p.Name == "arguments" ? Parsed(p.Value.GetString()!) : p.Value))];

    private static object Parsed(string arguments)
    {
        try
        {
            using var doc = JsonDocument.Parse(arguments);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return arguments; // not JSON: the template sees the text
        }
    }
}
