using System.Text.Json;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// A request's <c>tools</c> list in chat's form, for the APIs that write a function tool their own way (Responses'
/// <c>{"type": "function", "name", "parameters"}</c>, Anthropic's <c>{"name", "input_schema"}</c>): the list itself
/// is checked here (absent or null: none; else an array), each tool by the API's reader, and every name used once.
/// </summary>
public static class FunctionToolList
{
    /// <param name="readTool">One tool at its path (<c>tools[2]</c>) as chat's function; 400s name the field.</param>
    public static List<ChatTool>? Read(JsonElement? tools, Func<JsonElement, string, ChatFunction> readTool)
    {
        if (tools is not { ValueKind: not JsonValueKind.Null } given)
        {
            return null;
        }

        if (given.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadRequest("tools must be a list of tools.", "tools");
        }

        var functions = new List<ChatTool>();
        int index = 0;
        foreach (var tool in given.EnumerateArray())
        {
            string path = $"tools[{index++}]";
            var function = readTool(tool, path);
            int earlier = functions.FindIndex(f => f.Function!.Name == function.Name);
            if (earlier >= 0)
            {
                throw ApiException.BadRequest($"{path}.name `{function.Name}` repeats tools[{earlier}].name: each tool needs its own name.", $"{path}.name");
            }

            functions.Add(new ChatTool { Type = "function", Function = function });
        }

        return functions;
    }
}
