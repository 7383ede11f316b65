using System.Text.Json;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// One call as the JSON-writing formats spell it: <c>{"name": "f", "arguments": {...}}</c>, or <c>"parameters"</c> in
/// place of <c>"arguments"</c> (Llama 3's templates ask for that key). Shared by the Hermes and Llama 3 JSON readers.
/// </summary>
public static class ToolCallObject
{
    /// <summary>The call, or null when <paramref name="json"/> is not an object with a non-empty string name.</summary>
    public static ChatFunctionCall? Read(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return Read(doc.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <inheritdoc cref="Read(ReadOnlyMemory{byte})"/>
    public static ChatFunctionCall? Read(string json) => Read(System.Text.Encoding.UTF8.GetBytes(json));

    private static ChatFunctionCall? Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString() is not { Length: > 0 } n)
        {
            return null;
        }

        // Arguments as the model wrote them (an object's JSON text), or a string it gave them in already.
        bool given = root.TryGetProperty("arguments", out var args) || root.TryGetProperty("parameters", out args);
        string arguments = given ? args.ValueKind switch
        {
            JsonValueKind.String => args.GetString()!,
            JsonValueKind.Null => "{}",
            _ => args.GetRawText(),
        } : "{}";
        return new ChatFunctionCall(n, arguments);
    }
}
