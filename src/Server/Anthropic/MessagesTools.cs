using System.Text.Json;
using MambaServe.Server.OpenAi;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.Anthropic;

/// <summary>
/// Anthropic's <c>tools</c> and <c>tool_choice</c> in chat's form: a client tool <c>{"name", "description",
/// "input_schema"}</c> (optional <c>"type": "custom"</c>) is a function whose parameters are the input schema;
/// <c>{"type": "auto"}</c>, <c>"any"</c>, <c>{"type": "tool", "name"}</c> and <c>"none"</c> are chat's <c>auto</c>,
/// <c>required</c>, the named function and <c>none</c>; <c>disable_parallel_tool_use</c> is parallel_tool_calls false.
/// Server tools (bash, web search, text editor, ...) are 400s naming the field.
/// </summary>
public static class MessagesTools
{
    public static (List<ChatTool>? Tools, JsonElement? Choice, bool? Parallel) Read(JsonElement? tools, JsonElement? choice)
    {
        var functions = FunctionToolList.Read(tools, Function);
        if (choice is not { ValueKind: not JsonValueKind.Null } given)
        {
            return (functions, null, null);
        }

        string? type = given.ValueKind == JsonValueKind.Object && given.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        bool? parallel = given.ValueKind == JsonValueKind.Object && given.TryGetProperty("disable_parallel_tool_use", out var d)
            ? d.ValueKind switch
            {
                JsonValueKind.True => false,
                JsonValueKind.False or JsonValueKind.Null => null,
                _ => throw ApiException.BadRequest("tool_choice.disable_parallel_tool_use must be a boolean.", "tool_choice.disable_parallel_tool_use"),
            }
            : null;
        object chat = type switch
        {
            "auto" => "auto",
            "any" => "required",
            "none" => "none",
            "tool" => new { type = "function", function = new { name = ToolName(given, functions) } },
            _ => throw ApiException.BadRequest("tool_choice must be {\"type\": \"auto\"}, {\"type\": \"any\"}, {\"type\": \"tool\", \"name\": ...} or {\"type\": \"none\"}.", "tool_choice"),
        };
        return (functions, JsonSerializer.SerializeToElement(chat), parallel);
    }

    /// <summary>One client tool as chat's function: the input schema its parameters.</summary>
    private static ChatFunction Function(JsonElement tool, string path)
    {
        if (tool.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.BadRequest($"{path} must be a tool object.", path);
        }

        if (tool.TryGetProperty("type", out var type) && type.ValueKind != JsonValueKind.Null && !type.ValueEquals("custom"))
        {
            throw ApiException.BadRequest(
                $"{path}.type: only client tools ({{\"name\", \"description\", \"input_schema\"}}) are supported; server tools run nowhere here.", $"{path}.type");
        }

        string? name = tool.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        if (!ForcedToolCall.IsFunctionName(name))
        {
            throw ApiException.BadRequest($"{path}.name must be 1 to 64 letters, digits, underscores or dashes.", $"{path}.name");
        }

        if (!tool.TryGetProperty("input_schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.BadRequest($"{path}.input_schema must be a JSON schema (an object).", $"{path}.input_schema");
        }

        string? description = tool.TryGetProperty("description", out var text) ? text.ValueKind switch
        {
            JsonValueKind.String => text.GetString(),
            JsonValueKind.Null => null,
            _ => throw ApiException.BadRequest($"{path}.description must be a string.", $"{path}.description"),
        } : null;
        return new ChatFunction { Name = name, Description = description, Parameters = schema };
    }

    private static string ToolName(JsonElement choice, List<ChatTool>? functions)
    {
        string? name = choice.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        if (name is null)
        {
            throw ApiException.BadRequest("tool_choice.name is required with {\"type\": \"tool\"}.", "tool_choice.name");
        }

        return functions?.Any(f => f.Function!.Name == name) == true
            ? name
            : throw ApiException.BadRequest($"tool_choice.name `{name}` is not in tools.", "tool_choice.name");
    }
}
