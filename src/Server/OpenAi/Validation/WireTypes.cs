using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace MambaServe.Server.OpenAi.Validation;

/// <summary>
/// The JSON a wire field expects, in plain words ("a number", "an array of integers"), found by walking a field path
/// through the request type's serialization metadata: error messages never show .NET type names.
/// </summary>
public static class WireTypes
{
    /// <summary>The declared type at <paramref name="path"/> under <paramref name="root"/>, or null when the path leaves the typed part.</summary>
    public static Type? TypeAt(JsonSerializerOptions options, Type root, IReadOnlyList<JsonPathSegment> path)
    {
        Type type = root;
        foreach (var segment in path)
        {
            var info = options.GetTypeInfo(Unwrap(type));
            Type? next = (info.Kind, segment) switch
            {
                (JsonTypeInfoKind.Object, { Name: { } name }) => info.Properties.FirstOrDefault(p => p.Name == name)?.PropertyType,
                (JsonTypeInfoKind.Enumerable, { Index: not null }) => info.ElementType,
                (JsonTypeInfoKind.Dictionary, { Name: not null }) => info.ElementType,
                _ => null,
            };
            if (next is null)
            {
                return null;
            }

            type = next;
        }

        return type;
    }

    /// <summary>"a number", "an array of strings", …; null for a field that takes any JSON (checked by its endpoint).</summary>
    public static string? Describe(JsonSerializerOptions options, Type type) => Name(options, type, plural: false);

    /// <summary>The integer range of <paramref name="type"/> ("from 0 to 2147483647"), or null when it is not an integer type.</summary>
    public static string? IntegerRange(Type type) => Unwrap(type) switch
    {
        var t when t == typeof(int) => Range(int.MinValue, int.MaxValue),
        var t when t == typeof(long) => Range(long.MinValue, long.MaxValue),
        _ => null,
    };

    /// <summary>What a JSON value is, for "must be X, not Y".</summary>
    public static string KindOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private static string? Name(JsonSerializerOptions options, Type type, bool plural)
    {
        var t = Unwrap(type);
        string? single = t switch
        {
            _ when t == typeof(bool) => plural ? "booleans" : "a boolean",
            _ when t == typeof(int) || t == typeof(long) => plural ? "integers" : "an integer",
            _ when t == typeof(float) || t == typeof(double) => plural ? "numbers" : "a number",
            _ when t == typeof(string) => plural ? "strings" : "a string",
            _ when t == typeof(JsonElement) => null,
            _ => string.Empty,
        };
        if (single is null || single.Length > 0)
        {
            return single;
        }

        var info = options.GetTypeInfo(t);
        return info.Kind switch
        {
            JsonTypeInfoKind.Enumerable => (plural ? "arrays of " : "an array of ") + (Name(options, info.ElementType!, plural: true) ?? "values"),
            JsonTypeInfoKind.Dictionary => (plural ? "objects" : "an object") + " whose values are " + (Name(options, info.ElementType!, plural: true) ?? "any JSON"),
            _ => plural ? "objects" : "an object",
        };
    }

    private static Type Unwrap(Type type) => Nullable.GetUnderlyingType(type) ?? type;

    private static string Range(long min, long max) =>
        string.Create(CultureInfo.InvariantCulture, $"from {min} to {max}");
}
