using System.Text.Json;
using System.Text.RegularExpressions;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// The function a chat request makes the model call: <c>tool_choice</c> naming one of <c>tools</c>, or
/// <c>"required"</c> with one tool. The output is then that function's arguments, enforced by its parameters schema
/// (as vLLM does for these two choices, with no tool-call parser), and the answer is a tool call. <c>"auto"</c> needs
/// a parser for the model's own tool-call format: with the server's Hermes parser on (<see cref="AutoToolCalls"/>) the
/// endpoint takes it before this; otherwise it is a 400 that says what to send instead.
/// </summary>
/// <param name="Required">Forced by <c>"required"</c> (the answer then finishes with <c>tool_calls</c>, as OpenAI's does), not by name (<c>stop</c>).</param>
public sealed partial record ForcedToolCall(string Name, JsonElement Parameters, int ToolIndex, bool Required = false)
{
    /// <summary>Whether the request leaves the call to the model: tools, and tool_choice "auto" or none given (OpenAI's default with tools).</summary>
    public static bool AsksAuto(ChatRequest request)
    {
        var tools = CheckedTools(request);

        return tools.Count > 0 && (Choice(request) is not { } choice || IsString(choice, "auto"));
    }

    /// <summary>Whether the request asks for one or more calls among several tools (tool_choice "required"), answered as vLLM does (<see cref="RequiredToolCalls"/>).</summary>
    public static bool AsksRequiredOfSeveral(ChatRequest request)
    {
        var tools = CheckedTools(request);

        return tools.Count > 1 && request.ToolChoice is { } c && IsString(c, "required");
    }

    /// <summary>Chat's choices other than auto, in its own syntax (the end of the auto-without-parser error).</summary>
    public const string ChatOtherChoices =
        "name the function ({\"type\": \"function\", \"function\": {\"name\": ...}}), send `required`, or `none` for a text answer";

    /// <summary>A function's parameters schema: any object when it gives none, as OpenAI takes such a function.</summary>
    public static JsonElement ParametersOf(ChatFunction function) =>
        function.Parameters is { ValueKind: JsonValueKind.Object } p ? p : JsonDocument.Parse("""{"type":"object"}""").RootElement;

    /// <summary>The forced call, or null when the model answers in text (no tools, or tool_choice "none").</summary>
    public static ForcedToolCall? Of(ChatRequest request)
    {
        var tools = CheckedTools(request);

        var choice = Choice(request);
        if (choice is { } c && IsString(c, "none") || choice is null && tools.Count == 0)
        {
            return null;
        }

        if (tools.Count == 0)
        {
            throw ApiException.BadRequest("tool_choice needs tools: name the functions in `tools`.", "tool_choice");
        }

        // Tools without a tool_choice ask for OpenAI's default with tools, "auto".
        if (choice is null || IsString(choice.Value, "auto"))
        {
            throw ToolAnswerChoice.AutoUnsupported(ChatOtherChoices);
        }

        if (IsString(choice.Value, "required"))
        {
            return tools.Count == 1
                ? Forced(tools, 0) with { Required = true }
                : throw new ApiException(400, "tool_choice `required` is supported with one tool only: name the function to call.",
                    ApiException.InvalidRequest, "tool_choice", "unsupported_parameter");
        }

        string? name = choice.Value.ValueKind == JsonValueKind.Object
            && choice.Value.TryGetProperty("type", out var type) && IsString(type, "function")
            && choice.Value.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
            && function.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                ? n.GetString()
                : throw ApiException.BadRequest(
                    "tool_choice must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}.", "tool_choice");
        int index = tools.FindIndex(t => t.Function!.Name == name);
        return index >= 0 ? Forced(tools, index) : throw ApiException.BadRequest($"tool_choice names `{name}`, which is not in tools.", "tool_choice.function.name");
    }

    private static ForcedToolCall Forced(List<ChatTool> tools, int index)
    {
        var function = tools[index].Function!;
        return new ForcedToolCall(function.Name!, ParametersOf(function), index);
    }

    /// <summary>The request's tools, each checked (a 400 naming the first that is not a function OpenAI would take).</summary>
    internal static List<ChatTool> CheckedTools(ChatRequest request)
    {
        var tools = request.Tools ?? [];
        for (int i = 0; i < tools.Count; i++)
        {
            Check(tools[i], i);
        }

        return tools;
    }

    private static void Check(ChatTool tool, int index)
    {
        if (tool.Type != "function" || tool.Function is null)
        {
            throw ApiException.BadRequest($"tools[{index}] must be {{\"type\": \"function\", \"function\": {{...}}}}.", $"tools[{index}]");
        }

        if (!IsFunctionName(tool.Function.Name))
        {
            throw ApiException.BadRequest(
                $"tools[{index}].function.name must be 1 to 64 letters, digits, underscores or dashes.", $"tools[{index}].function.name");
        }

        if (tool.Function.Parameters is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
        {
            throw ApiException.BadRequest($"tools[{index}].function.parameters must be a JSON schema (an object).", $"tools[{index}].function.parameters");
        }
    }

    /// <summary>tool_choice, or null when absent or JSON null.</summary>
    private static JsonElement? Choice(ChatRequest request) => request.ToolChoice is { ValueKind: not JsonValueKind.Null } given ? given : null;

    private static bool IsString(JsonElement value, string text) => value.ValueKind == JsonValueKind.String && value.ValueEquals(text);

    /// <summary>A name OpenAI takes for a function: 1 to 64 letters, digits, underscores or dashes.</summary>
    public static bool IsFunctionName([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? name) => name is not null && FunctionName().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex FunctionName();
}
