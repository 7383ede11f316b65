using System.Collections;
using System.Text.Json;
using MambaServe.Server.OpenAi.Chat.Templates.Runtime;

namespace MambaServe.Server.OpenAi.Chat.Templates;

/// <summary>
/// Turns host values into template values: strings, booleans, integers, floats and null as themselves; string-keyed
/// maps into dicts (in their enumeration order); other sequences into lists; JSON elements by their JSON type;
/// <see cref="TemplateFunction"/>s into callables.
/// </summary>
internal static class TemplateValues
{
    public static object? From(object? value) => value switch
    {
        null or string or bool or long or double => value,
        int i => (long)i,
        float f => (double)f,
        TemplateFunction function => function.ToCallable(),
        JsonElement json => FromJson(json),
        IEnumerable<KeyValuePair<string, object?>> map => Dict(map.Select(kv => (kv.Key, From(kv.Value)))),
        IEnumerable sequence => sequence.Cast<object?>().Select(From).ToList(),
        _ => throw new ArgumentException($"a {value.GetType().Name} cannot be passed to a template", nameof(value)),
    };

    public static object? FromJson(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.String => json.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Number => json.TryGetInt64(out long l) ? (object)l : json.GetDouble(),
        JsonValueKind.Array => json.EnumerateArray().Select(FromJson).ToList(),
        _ => Dict(json.EnumerateObject().Select(p => (p.Name, FromJson(p.Value)))),
    };

    private static JinjaDict Dict(IEnumerable<(string Key, object? Value)> entries)
    {
        var dict = new JinjaDict();
        foreach (var (key, value) in entries)
        {
            dict.Set(key, value);
        }

        return dict;
    }
}
