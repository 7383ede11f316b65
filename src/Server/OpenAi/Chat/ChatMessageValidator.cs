using System.Text.Json;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// Checks <c>messages</c> before any template sees it, naming the exact field of a bad message
/// (<c>messages[1]</c>, <c>messages[0].role</c>, <c>messages[2].content[1]</c>).
/// </summary>
public static class ChatMessageValidator
{
    /// <summary>The roles of <see cref="DefaultChatTemplate"/>.</summary>
    public static readonly IReadOnlyList<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    /// <summary>Checks every message; <paramref name="roles"/> null takes any non-empty role (a model's template judges it).</summary>
    public static IReadOnlyList<ChatMessage> Validate(IReadOnlyList<ChatMessage?>? messages, IReadOnlyList<string>? roles)
    {
        if (messages is null || messages.Count == 0)
        {
            throw ApiException.BadRequest("messages must be a non-empty array of message objects.", "messages");
        }

        for (int i = 0; i < messages.Count; i++)
        {
            var message = messages[i] ?? throw ApiException.BadRequest($"messages[{i}] must be an object, not null.", $"messages[{i}]");
            if (string.IsNullOrEmpty(message.Role) || roles is not null && !roles.Contains(message.Role))
            {
                var expected = roles is null ? "a non-empty string" : $"one of {string.Join(", ", roles)}";
                throw ApiException.BadRequest($"messages[{i}].role must be {expected}{(message.Role is null ? "; it is missing" : string.Empty)}.", $"messages[{i}].role");
            }

            CheckContent(message.Content, $"messages[{i}].content");
            ChatToolHistory.Check(message, i);
        }

        return messages!;
    }

    private static void CheckContent(JsonElement? content, string field)
    {
        if (content is not { } element || element.ValueKind is JsonValueKind.Null or JsonValueKind.String)
        {
            return;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadRequest($"{field} must be a string, an array of text parts or null, not {Validation.WireTypes.KindOf(element)}.", field);
        }

        int index = 0;
        foreach (var part in element.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || !type.ValueEquals("text")
                || !part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
            {
                throw ApiException.BadRequest(
                    $"{field}[{index}] must be a text part {{\"type\": \"text\", \"text\": \"...\"}}; image, audio and file parts are not supported.", $"{field}[{index}]");
            }

            index++;
        }
    }
}
