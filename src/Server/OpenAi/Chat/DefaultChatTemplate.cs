using System.Text;
using System.Text.Json;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// Renders chat messages into one prompt for a model without a chat template of its own (those use
/// <see cref="ModelChatTemplate"/>): this documented plain-text template (docs/server.md):
/// each message as <c>"{Role}: {content}\n"</c> (Role capitalised: System, User, Assistant, Developer, Tool), then,
/// with add_generation_prompt (default), <c>"Assistant:"</c>. Base models continue such transcripts naturally. The
/// space after the colon is left out when the content starts with whitespace: a model's reply to "Assistant:" starts
/// with its own space (" Hello"), and rendering that reply back must give the very text the model saw and produced,
/// so that a continued conversation (the Responses API) prefills only what follows it. With continue_final_message the
/// last message's newline is left out (and no generation prompt added), so the model continues that message.
/// </summary>
public static class DefaultChatTemplate
{
    private static readonly string[] s_roles = ["system", "developer", "user", "assistant", "tool"];

    public const string GenerationPrompt = "Assistant:";

    public static string Render(IReadOnlyList<ChatMessage>? messages, bool addGenerationPrompt, bool continueFinalMessage = false)
    {
        if (messages is null || messages.Count == 0)
        {
            throw ApiException.BadRequest("messages must be a non-empty array.", "messages");
        }

        var prompt = new StringBuilder();
        foreach (var message in messages)
        {
            var role = message.Role;
            if (role is null || !s_roles.Contains(role))
            {
                throw ApiException.BadRequest($"Unsupported message role `{role}`: use one of {string.Join(", ", s_roles)}.", "messages");
            }

            // An earlier forced call is what the model wrote after "Assistant:": its arguments.
            var content = Content(message.Content);
            if (content.Length == 0 && message.ToolCalls is { ValueKind: JsonValueKind.Array } calls)
            {
                content = ChatToolHistory.ArgumentsText(calls);
            }

            prompt.Append(char.ToUpperInvariant(role[0])).Append(role.AsSpan(1)).Append(':');
            if (content.Length == 0 || !char.IsWhiteSpace(content[0]))
            {
                prompt.Append(' ');
            }

            prompt.Append(content).Append('\n');
        }

        if (continueFinalMessage)
        {
            prompt.Length--;
        }
        else if (addGenerationPrompt)
        {
            prompt.Append(GenerationPrompt);
        }

        return prompt.ToString();
    }

    /// <summary>A message's text: a string as is, text parts joined, null or absent as "" (400 for other shapes).</summary>
    internal static string Content(JsonElement? content)
    {
        if (content is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return string.Empty;
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            return element.GetString()!;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadRequest("Message content must be a string or an array of content parts.", "messages");
        }

        var text = new StringBuilder();
        foreach (var part in element.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "text"
                || !part.TryGetProperty("text", out var value) || value.ValueKind != JsonValueKind.String)
            {
                throw ApiException.BadRequest("Only text content parts ({\"type\":\"text\",\"text\":...}) are supported.", "messages");
            }

            text.Append(value.GetString());
        }

        return text.ToString();
    }
}
