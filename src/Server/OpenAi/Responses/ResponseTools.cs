using System.Text.Json;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// A Responses request's <c>tools</c> and <c>tool_choice</c>, checked (a 400 names the field at fault) and put in the
/// chat form the shared tool code takes (<see cref="ForcedToolCall"/>, the structured-output grammars, chat
/// templates): a Responses function <c>{"type": "function", "name", "description", "parameters", "strict"}</c> is
/// chat's <c>{"type": "function", "function": {...}}</c>, and a named choice <c>{"type": "function", "name"}</c> is
/// chat's <c>{"type": "function", "function": {"name"}}</c>; <c>allowed_tools</c> narrows the functions to the ones it
/// lists (<see cref="AllowedTools"/>). Only function tools exist here: hosted tools (web search, file search, computer
/// use, MCP...) are a 400, as is any choice beyond none, auto, required, allowed_tools or one function.
/// </summary>
public sealed record ResponseTools(IReadOnlyList<ChatTool> Functions, JsonElement? ChatChoice, bool Parallel)
{
    public static readonly ResponseTools None = new([], null, true);

    /// <summary>The request's tools and choice; <see cref="None"/> when it gives neither.</summary>
    public static ResponseTools Parse(ResponsesRequest request)
    {
        var functions = FunctionToolList.Read(request.Tools, Function) ?? [];
        var given = request.ToolChoice; // the response echoes the request's own choice
        if (given is { } asked && AllowedTools.ReadResponses(asked, functions) is { } narrowed)
        {
            (functions, given) = narrowed;
        }

        var choice = Choice(given, functions);
        bool parallel = request.ParallelToolCalls is not { ValueKind: JsonValueKind.False };
        return functions.Count == 0 && choice is null ? None with { Parallel = parallel } : new ResponseTools(functions, choice, parallel);
    }

    /// <summary>The same tools as a chat request, for the chat tool code (it reads tools, tool_choice and parallel_tool_calls only).</summary>
    public ChatRequest AsChat() => new() { Tools = [.. Functions], ToolChoice = ChatChoice, ParallelToolCalls = Parallel };

    private static ChatFunction Function(JsonElement tool, string path)
    {
        if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            throw ApiException.BadRequest($"{path} must be a function tool: {{\"type\": \"function\", \"name\": ..., \"parameters\": {{...}}}}.", path);
        }

        if (!type.ValueEquals("function"))
        {
            throw ApiException.BadRequest(
                $"{path}.type `{ResponseInputParser.Text(type, $"{path}.type")}` is not supported: this server runs no hosted tools; send function tools, which the client runs.",
                $"{path}.type");
        }

        string? name = tool.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        if (!ForcedToolCall.IsFunctionName(name))
        {
            throw ApiException.BadRequest($"{path}.name must be 1 to 64 letters, digits, underscores or dashes.", $"{path}.name");
        }

        var description = Optional(tool, "description", JsonValueKind.String, path, "a string");
        var parameters = Optional(tool, "parameters", JsonValueKind.Object, path, "a JSON schema (an object)");
        bool? strict = !tool.TryGetProperty("strict", out var s) ? null : s.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Null => null,
            _ => throw ApiException.BadRequest($"{path}.strict must be a boolean.", $"{path}.strict"),
        };
        return new ChatFunction
        {
            Name = name,
            Description = description is { } d ? ResponseInputParser.Text(d, $"{path}.description") : null,
            Parameters = parameters,
            Strict = strict,
        };
    }

    /// <summary>A field that may be absent or null, else of <paramref name="kind"/> (a 400 naming it otherwise).</summary>
    private static JsonElement? Optional(JsonElement tool, string field, JsonValueKind kind, string path, string expected)
    {
        if (!tool.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == kind ? value : throw ApiException.BadRequest($"{path}.{field} must be {expected}.", $"{path}.{field}");
    }

    /// <summary>The choice in chat form: the string as given, or chat's object for a named function; null when not given.</summary>
    private static JsonElement? Choice(JsonElement? choice, List<ChatTool> functions)
    {
        if (choice is not { ValueKind: not JsonValueKind.Null } given)
        {
            return null;
        }

        if (given.ValueKind == JsonValueKind.String)
        {
            if (!(given.ValueEquals("none") || given.ValueEquals("auto") || given.ValueEquals("required")))
            {
                throw ApiException.BadRequest("tool_choice must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"name\": ...}.", "tool_choice");
            }

            return given.ValueEquals("required") && functions.Count == 0
                ? throw ApiException.BadRequest("tool_choice `required` needs tools: list the functions in `tools`.", "tool_choice")
                : given;
        }

        if (given.ValueKind != JsonValueKind.Object || !given.TryGetProperty("type", out var type) || !type.ValueEquals("function"))
        {
            throw ApiException.BadRequest(
                "tool_choice must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"name\": ...}: this server has function tools only.", "tool_choice");
        }

        if (!given.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
        {
            throw ApiException.BadRequest("tool_choice.name must name one of the functions in `tools`.", "tool_choice.name");
        }

        string text = ResponseInputParser.Text(name, "tool_choice.name");
        if (!functions.Any(f => f.Function!.Name == text))
        {
            throw ApiException.BadRequest($"tool_choice names `{text}`, which is not in tools.", "tool_choice.name");
        }

        return JsonSerializer.SerializeToElement(new { type = "function", function = new { name = text } });
    }
}
