using System.Text.Json;
using System.Text.Json.Nodes;
using MambaServe.Server.OpenAi;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.Anthropic;

/// <summary>
/// An Anthropic Messages request as the chat request the server already answers, so that the same template, tool
/// grammars, parsers and sampling serve both APIs:
/// <list type="bullet">
/// <item><c>system</c> (a string or text blocks) is the system message;</item>
/// <item>a user message's <c>tool_result</c> blocks are tool messages (in order, before its text), its text blocks one
/// user message;</item>
/// <item>an assistant message's text blocks are its content and its <c>tool_use</c> blocks its tool calls (the input
/// object as the arguments' JSON text);</item>
/// <item>a final assistant message with text is a prefill: the answer continues it (chat's continue_final_message);</item>
/// <item><c>tools</c> (<c>{"name", "description", "input_schema"}</c>) are functions, <c>tool_choice</c> auto, any, tool
/// and none are chat's auto, required, the named function and none, <c>disable_parallel_tool_use</c> is
/// parallel_tool_calls false;</item>
/// <item><c>stop_sequences</c> are stop strings, kept in the text so the answer can tell which one stopped it
/// (<see cref="MessagesStopSequences"/>).</item>
/// </list>
/// Images, documents, thinking, server tools and other block types are 400s whose param is the path
/// (<c>messages[1].content[0].type</c>).
/// </summary>
public static class MessagesChatMapper
{
    public static ChatRequest ToChat(MessagesRequest request, bool countOnly = false)
    {
        if (!countOnly)
        {
            _ = request.MaxTokens is { } max
                ? max >= 1 ? max : throw ApiException.BadRequest("max_tokens must be at least 1.", "max_tokens")
                : throw ApiException.BadRequest("max_tokens is required.", "max_tokens");
        }

        if (request.Temperature is < 0 or > 1)
        {
            throw ApiException.BadRequest("temperature must be between 0 and 1.", "temperature");
        }

        if (request.Thinking is { ValueKind: not JsonValueKind.Null } thinking
            && !(thinking.ValueKind == JsonValueKind.Object && thinking.TryGetProperty("type", out var kind) && kind.ValueEquals("disabled")))
        {
            throw ApiException.BadRequest("thinking is not supported: the served model does not think. Leave it out or send {\"type\": \"disabled\"}.", "thinking");
        }

        var messages = new List<ChatMessage>();
        if (SystemText(request.System) is { } system)
        {
            messages.Add(new ChatMessage { Role = "system", Content = system });
        }

        messages.AddRange(Conversation(request.Messages));
        if (messages.Count > 1 && messages[^1] is { Role: "assistant", ToolCalls: null } last && IsBlank(last.Content))
        {
            messages.RemoveAt(messages.Count - 1); // an empty final assistant message asks for no prefill (Anthropic's rule)
        }

        bool prefill = messages[^1].Role == "assistant";
        if (prefill && messages[^1].ToolCalls is not null)
        {
            throw ApiException.BadRequest("The final message may not be the assistant's tool_use: answer it with a user message of tool_result blocks.", "messages");
        }

        var (tools, choice, parallel) = MessagesTools.Read(request.Tools, request.ToolChoice);
        return new ChatRequest
        {
            Model = request.Model,
            MaxTokens = request.MaxTokens,
            Messages = messages,
            ContinueFinalMessage = prefill ? true : null,
            Temperature = request.Temperature,
            TopP = request.TopP,
            TopK = request.TopK,
            Stop = request.StopSequences,
            IncludeStopStrInOutput = request.StopSequences is { Count: > 0 } ? true : null,
            Stream = request.Stream,
            User = UserId(request.Metadata),
            Tools = tools,
            ToolChoice = choice,
            ParallelToolCalls = parallel,
        };
    }

    /// <summary>Content with no text but whitespace: null, a blank string, or text parts that are all blank.</summary>
    private static bool IsBlank(JsonElement? content) => content switch
    {
        null => true,
        { ValueKind: JsonValueKind.String } text => string.IsNullOrWhiteSpace(text.GetString()),
        { ValueKind: JsonValueKind.Array } parts => parts.EnumerateArray().All(p => string.IsNullOrWhiteSpace(p.GetProperty("text").GetString())),
        _ => false,
    };

    private static JsonElement? SystemText(JsonElement? system) => system switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } text => text,
        { ValueKind: JsonValueKind.Array } blocks => TextParts(blocks, "system"),
        _ => throw ApiException.BadRequest("system must be a string or a list of text blocks.", "system"),
    };

    private static List<ChatMessage> Conversation(JsonElement? given)
    {
        if (given is not { ValueKind: JsonValueKind.Array } list || list.GetArrayLength() == 0)
        {
            throw ApiException.BadRequest("messages must be a non-empty list of {\"role\", \"content\"} messages.", "messages");
        }

        var messages = new List<ChatMessage>();
        int index = 0;
        foreach (var message in list.EnumerateArray())
        {
            string path = $"messages[{index++}]";
            string role = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String
                ? r.GetString()!
                : throw ApiException.BadRequest($"{path}.role must be `user` or `assistant`.", $"{path}.role");
            if (role is not ("user" or "assistant"))
            {
                throw ApiException.BadRequest($"{path}.role must be `user` or `assistant`; got `{role}` (the system prompt goes in `system`).", $"{path}.role");
            }

            if (!message.TryGetProperty("content", out var content) || content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
            {
                throw ApiException.BadRequest($"{path}.content must be a string or a list of content blocks.", $"{path}.content");
            }

            if (content.ValueKind == JsonValueKind.String)
            {
                messages.Add(new ChatMessage { Role = role, Content = content });
            }
            else if (role == "user")
            {
                messages.AddRange(UserMessages(content, path));
            }
            else
            {
                messages.Add(AssistantMessage(content, path));
            }
        }

        return messages;
    }

    /// <summary>A user message's blocks: each tool_result a tool message, then the text blocks one user message.</summary>
    private static IEnumerable<ChatMessage> UserMessages(JsonElement blocks, string path)
    {
        var texts = new JsonArray();
        var results = new List<ChatMessage>();
        int index = 0;
        foreach (var block in blocks.EnumerateArray())
        {
            string at = $"{path}.content[{index++}]";
            switch (BlockType(block, at, "text", "tool_result"))
            {
                case "text":
                    texts.Add(TextPart(block, at));
                    break;
                default:
                    var id = String(block, "tool_use_id", at);
                    var output = block.TryGetProperty("content", out var c) && c.ValueKind != JsonValueKind.Null ? ResultText(c, $"{at}.content") : string.Empty;
                    bool error = block.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True;
                    results.Add(new ChatMessage
                    {
                        Role = "tool", ToolCallId = id, Content = JsonSerializer.SerializeToElement(error ? $"Error: {output}" : output),
                    });
                    break;
            }
        }

        if (texts.Count > 0 || results.Count == 0)
        {
            results.Add(new ChatMessage { Role = "user", Content = JsonSerializer.SerializeToElement(texts) });
        }

        return results;
    }

    /// <summary>An assistant message's blocks: text blocks its content, tool_use blocks its tool calls.</summary>
    private static ChatMessage AssistantMessage(JsonElement blocks, string path)
    {
        var texts = new JsonArray();
        var calls = new JsonArray();
        int index = 0;
        foreach (var block in blocks.EnumerateArray())
        {
            string at = $"{path}.content[{index++}]";
            switch (BlockType(block, at, "text", "tool_use"))
            {
                case "text":
                    texts.Add(TextPart(block, at));
                    break;
                default:
                    if (!block.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Object)
                    {
                        throw ApiException.BadRequest($"{at}.input must be an object.", $"{at}.input");
                    }

                    calls.Add(new JsonObject
                    {
                        ["id"] = String(block, "id", at),
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = String(block, "name", at), ["arguments"] = input.GetRawText() },
                    });
                    break;
            }
        }

        return new ChatMessage
        {
            Role = "assistant",
            Content = texts.Count > 0 ? JsonSerializer.SerializeToElement(texts) : null,
            ToolCalls = calls.Count > 0 ? JsonSerializer.SerializeToElement(calls) : null,
        };
    }

    private static string BlockType(JsonElement block, string path, params string[] allowed)
    {
        string? type = block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        return type is not null && allowed.Contains(type)
            ? type
            : throw ApiException.BadRequest(
                $"{path}.type must be one of {string.Join(", ", allowed)} here{(type is null ? "" : $"; got `{type}`")} (images, documents and thinking are not supported).",
                $"{path}.type");
    }

    /// <summary>A tool result's content: a string, or text blocks joined.</summary>
    private static string ResultText(JsonElement content, string path)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadRequest($"{path} must be a string or a list of text blocks.", path);
        }

        int index = 0;
        return string.Concat(content.EnumerateArray().Select(block =>
        {
            string at = $"{path}[{index++}]";
            BlockType(block, at, "text");
            return Text(block, at);
        }));
    }

    private static JsonElement TextParts(JsonElement blocks, string path)
    {
        var parts = new JsonArray();
        int index = 0;
        foreach (var block in blocks.EnumerateArray())
        {
            string at = $"{path}[{index++}]";
            BlockType(block, at, "text");
            parts.Add(TextPart(block, at));
        }

        return JsonSerializer.SerializeToElement(parts);
    }

    private static string Text(JsonElement block, string path) => String(block, "text", path);

    /// <summary>A text block as chat's text content part.</summary>
    private static JsonObject TextPart(JsonElement block, string path) => new() { ["type"] = "text", ["text"] = Text(block, path) };

    private static string String(JsonElement block, string field, string path) =>
        block.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw ApiException.BadRequest($"{path}.{field} must be a string.", $"{path}.{field}");

    private static string? UserId(JsonElement? metadata) => metadata switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.Object } m when !m.TryGetProperty("user_id", out var id) || id.ValueKind == JsonValueKind.Null => null,
        { ValueKind: JsonValueKind.Object } m when m.GetProperty("user_id").ValueKind == JsonValueKind.String => m.GetProperty("user_id").GetString(),
        _ => throw ApiException.BadRequest("metadata must be an object whose user_id is a string.", "metadata"),
    };
}
