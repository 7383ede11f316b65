using System.Text.Json;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.Anthropic;

/// <summary>How the chat answer (<see cref="ChatAnswer"/>) becomes a Message's content blocks and stop reason.</summary>
public static class MessagesAnswer
{
    /// <summary>
    /// The text (when there is any) as a text block, then each call as a tool_use block whose input is its arguments'
    /// object. Arguments that are not a whole object (an answer cut by max_tokens) stay text: nothing the model wrote is
    /// dropped.
    /// </summary>
    public static IReadOnlyList<object> Blocks(ChatResponseMessage message)
    {
        var blocks = new List<object>();
        if (!string.IsNullOrEmpty(message.Content))
        {
            blocks.Add(new MessagesTextBlock(message.Content));
        }

        foreach (var call in message.ToolCalls ?? [])
        {
            blocks.Add(InputOf(call.Function.Arguments) is { } input
                ? new MessagesToolUseBlock(call.Id!, call.Function.Name!, input)
                : new MessagesTextBlock(call.Function.Arguments));
        }

        return blocks;
    }

    /// <summary>
    /// Anthropic's stop reason for the chat finish reason: <c>tool_use</c> when an answer that ended by itself holds
    /// calls, <c>max_tokens</c> when the budget cut it, <c>stop_sequence</c> when one of the request's stopped it,
    /// else <c>end_turn</c> (also for an answer the server's shutdown ended).
    /// </summary>
    public static string StopReason(string? finish, bool calls, string? stopSequence) => finish switch
    {
        "length" => "max_tokens",
        "stop" or "tool_calls" when calls => "tool_use",
        _ when stopSequence is not null => "stop_sequence",
        _ => "end_turn",
    };

    /// <summary>The arguments as an object, or null when they are not one.</summary>
    public static JsonElement? InputOf(string arguments)
    {
        try
        {
            using var document = JsonDocument.Parse(arguments);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
