using System.Text.Json;

namespace MambaServe.Server.OpenAi.Validation;

/// <summary>
/// Turns System.Text.Json's binding failures ("could not be converted to System.Nullable`1[System.Single]") into
/// 400s that name the field and what it takes in plain words: <c>temperature must be a number, not a string</c>.
/// </summary>
public static class JsonBindingErrors
{
    public static ApiException ToApi(JsonException ex, Type request, JsonElement body, JsonSerializerOptions options)
    {
        var path = JsonPath.Parse(ex.Path);
        var field = JsonPath.Format(path);
        if (field is null)
        {
            return new ApiException(400, "The request body must be a JSON object.", ApiException.InvalidRequest, null, "invalid_type");
        }

        string rule = ex is WireFormatException wire ? wire.Rule : Rule(WireTypes.TypeAt(options, request, path), Find(body, path), options);
        return new ApiException(400, $"{field} {rule}.", ApiException.InvalidRequest, field, "invalid_type");
    }

    private static string Rule(Type? expected, JsonElement? actual, JsonSerializerOptions options)
    {
        var description = expected is null ? null : WireTypes.Describe(options, expected);
        if (description is null)
        {
            return "has a value of the wrong type";
        }

        if (actual is { ValueKind: JsonValueKind.Number } number && WireTypes.IntegerRange(expected!) is { } range)
        {
            return IsWhole(number) ? $"must be an integer {range}" : "must be a whole number";
        }

        return actual is { } value ? $"must be {description}, not {WireTypes.KindOf(value)}" : $"must be {description}";
    }

    private static bool IsWhole(JsonElement number) =>
        number.TryGetDouble(out double value) && double.IsFinite(value) && Math.Floor(value) == value;

    private static JsonElement? Find(JsonElement body, IReadOnlyList<JsonPathSegment> path)
    {
        var current = body;
        foreach (var segment in path)
        {
            if (segment.Index is { } index && current.ValueKind == JsonValueKind.Array && index < current.GetArrayLength())
            {
                current = current[index];
            }
            else if (segment.Name is { } name && current.ValueKind == JsonValueKind.Object && current.TryGetProperty(name, out var next))
            {
                current = next;
            }
            else
            {
                return null;
            }
        }

        return current;
    }
}
