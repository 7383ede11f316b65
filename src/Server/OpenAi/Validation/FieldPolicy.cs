using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace MambaServe.Server.OpenAi.Validation;

/// <summary>
/// Which request fields the server takes. A field the request type binds is honoured; an OpenAI field it does not
/// bind follows <see cref="UnsupportedFields"/>; anything else is an unrecognized argument (400, as OpenAI answers),
/// with a suggestion when it looks like a typo of a known field. Objects the request type describes (stream_options,
/// each message) take only their bound fields too.
/// </summary>
public static class FieldPolicy
{
    private static readonly ConcurrentDictionary<Type, string[]> s_known = new();

    public static void Check(JsonElement body, Type request, JsonSerializerOptions options)
    {
        var refused = UnsupportedFields.Refused(request);
        var ignored = UnsupportedFields.Ignored(request);
        var info = options.GetTypeInfo(request);
        foreach (var property in body.EnumerateObject())
        {
            var name = property.Name;
            if (BoundType(info, name) is { } type)
            {
                CheckNested(property.Value, type, [JsonPathSegment.Property(name)], options);
            }
            else if (refused.TryGetValue(name, out var rule))
            {
                if (rule(property.Value) is { } why)
                {
                    throw new ApiException(400, why, ApiException.InvalidRequest, name, "unsupported_parameter");
                }
            }
            else if (ignored.TryGetValue(name, out var kind))
            {
                CheckKind(property.Value, kind, name);
            }
            else
            {
                throw Unrecognized(name, Known(info, refused, ignored));
            }
        }
    }

    private static void CheckNested(JsonElement value, Type type, List<JsonPathSegment> path, JsonSerializerOptions options)
    {
        var info = options.GetTypeInfo(Nullable.GetUnderlyingType(type) ?? type);
        if (info.Kind == JsonTypeInfoKind.Object && value.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in value.EnumerateObject())
            {
                path.Add(JsonPathSegment.Property(property.Name));
                var bound = BoundType(info, property.Name) ?? throw Unrecognized(JsonPath.Format(path)!, info.Properties.Select(p => p.Name));
                CheckNested(property.Value, bound, path, options);
                path.RemoveAt(path.Count - 1);
            }
        }
        else if (info.Kind == JsonTypeInfoKind.Enumerable && value.ValueKind == JsonValueKind.Array)
        {
            int index = 0;
            foreach (var item in value.EnumerateArray())
            {
                path.Add(JsonPathSegment.Item(index++));
                CheckNested(item, info.ElementType!, path, options);
                path.RemoveAt(path.Count - 1);
            }
        }
    }

    private static Type? BoundType(JsonTypeInfo info, string name) =>
        info.Properties.FirstOrDefault(p => p.Name == name)?.PropertyType;

    private static void CheckKind(JsonElement value, JsonValueKind kind, string name)
    {
        bool ok = value.ValueKind == JsonValueKind.Null || value.ValueKind == kind
            || kind == JsonValueKind.True && value.ValueKind == JsonValueKind.False;
        if (!ok)
        {
            string expected = kind switch
            {
                JsonValueKind.True => "a boolean",
                JsonValueKind.Object => "an object",
                _ => "a string",
            };
            throw new ApiException(400, $"{name} must be {expected}, not {WireTypes.KindOf(value)}.", ApiException.InvalidRequest, name, "invalid_type");
        }
    }

    private static string[] Known(JsonTypeInfo info, IReadOnlyDictionary<string, FieldRule> refused, IReadOnlyDictionary<string, JsonValueKind> ignored) =>
        s_known.GetOrAdd(info.Type, _ => [.. info.Properties.Select(p => p.Name), .. refused.Keys, .. ignored.Keys]);

    private static ApiException Unrecognized(string field, IEnumerable<string> known)
    {
        // A hostile name may be megabytes long; the error names enough of it to find.
        field = field.Length > 200 ? field[..200] + "…" : field;
        var leaf = field[(field.LastIndexOfAny(['.', ']']) + 1)..];
        var suggestion = Spelling.Closest(leaf, known) is { } close ? $" Did you mean `{close}`?" : string.Empty;
        return new ApiException(400, $"Unrecognized request argument supplied: {field}.{suggestion}", ApiException.InvalidRequest, field, "unknown_parameter");
    }
}
