using System.Text.Json;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// OpenAI's <c>tool_choice</c> <c>{"type": "allowed_tools", ...}</c>: the model may call only the listed tools, in mode
/// <c>auto</c> (it may also answer in text) or <c>required</c> (it must call one or more). Served by narrowing the tools
/// to the listed ones and taking the mode as the choice, so that the template shows only those tools and the call
/// grammars allow only them. Chat lists them as <c>{"type": "function", "function": {"name"}}</c> under
/// <c>allowed_tools</c>; Responses as <c>{"type": "function", "name"}</c> beside <c>mode</c>.
/// </summary>
public static class AllowedTools
{
    /// <summary>Narrows a chat request whose tool_choice is allowed_tools (its tools checked first); any other request is left as it is.</summary>
    public static void NarrowChat(ChatRequest request)
    {
        if (request.ToolChoice is not { ValueKind: JsonValueKind.Object } choice || !IsAllowedTools(choice))
        {
            return;
        }

        var tools = ForcedToolCall.CheckedTools(request);
        var allowed = Property(choice, "allowed_tools", JsonValueKind.Object, "tool_choice");
        ExpectOnly(choice, "tool_choice", "type", "allowed_tools");
        ExpectOnly(allowed, "tool_choice.allowed_tools", "mode", "tools");
        (request.Tools, request.ToolChoice) = Narrow(tools, allowed, "tool_choice.allowed_tools", (entry, path) =>
            Property(Property(entry, "function", JsonValueKind.Object, path), "name", JsonValueKind.String, $"{path}.function").GetString()!);
    }

    /// <summary>Responses' form: the functions it allows and the mode as the choice, or null when the choice is another kind.</summary>
    public static (List<ChatTool> Tools, JsonElement Choice)? ReadResponses(JsonElement choice, List<ChatTool> functions)
    {
        if (choice.ValueKind != JsonValueKind.Object || !IsAllowedTools(choice))
        {
            return null;
        }

        ExpectOnly(choice, "tool_choice", "type", "mode", "tools");
        return Narrow(functions, choice, "tool_choice", (entry, path) => Property(entry, "name", JsonValueKind.String, path).GetString()!);
    }

    private static bool IsAllowedTools(JsonElement choice) =>
        choice.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("allowed_tools");

    /// <summary>The tools named in <paramref name="spec"/>'s <c>tools</c> (in the request's order) and its <c>mode</c> as a choice.</summary>
    private static (List<ChatTool> Tools, JsonElement Choice) Narrow(
        List<ChatTool> tools, JsonElement spec, string path, Func<JsonElement, string, string> nameOf)
    {
        var mode = Property(spec, "mode", JsonValueKind.String, path);
        if (!mode.ValueEquals("auto") && !mode.ValueEquals("required"))
        {
            throw ApiException.BadRequest($"{path}.mode must be `auto` or `required`.", $"{path}.mode");
        }

        var list = Property(spec, "tools", JsonValueKind.Array, path);
        if (list.GetArrayLength() == 0)
        {
            throw ApiException.BadRequest($"{path}.tools must list at least one tool.", $"{path}.tools");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        int index = 0;
        foreach (var entry in list.EnumerateArray())
        {
            string entryPath = $"{path}.tools[{index++}]";
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("type", out var type) || !type.ValueEquals("function"))
            {
                throw ApiException.BadRequest($"{entryPath} must be a function tool: this server has function tools only.", entryPath);
            }

            string name = nameOf(entry, entryPath);
            if (!tools.Any(t => t.Function?.Name == name))
            {
                throw ApiException.BadRequest($"{entryPath} names `{name}`, which is not in tools.", entryPath);
            }

            names.Add(name);
        }

        return ([.. tools.Where(t => names.Contains(t.Function!.Name!))], mode);
    }

    private static JsonElement Property(JsonElement parent, string name, JsonValueKind kind, string path) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) && value.ValueKind == kind
            ? value
            : throw ApiException.BadRequest($"{path}.{name} is required: {Describe(kind)}.", $"{path}.{name}");

    private static void ExpectOnly(JsonElement element, string path, params string[] names)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!names.Contains(property.Name))
            {
                throw ApiException.BadRequest($"{path}.{property.Name} is not a field of allowed_tools.", $"{path}.{property.Name}");
            }
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        _ => "a string",
    };
}
