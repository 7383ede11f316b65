using System.Text;
using System.Text.Json;

namespace MambaServe.Server.OpenAi.Validation;

/// <summary>
/// Checks a whole request body before it is bound. JSON may escape lone UTF-16 surrogates (<c>"\ud800"</c>) and carry
/// invalid UTF-8, which System.Text.Json accepts until a string is read; no field may hold such text (it cannot be
/// tokenized, logged or echoed). Arrays never hold null in any request this server takes.
/// </summary>
public static class JsonTextCheck
{
    /// <summary>Throws a 400 naming the first string or property name that is not valid Unicode.</summary>
    public static void CheckUnicode(JsonElement root) => Walk(root, [], checkNulls: false, describe: null);

    /// <summary>Throws a 400 naming the first null array item, with the type <paramref name="describe"/> expects there.</summary>
    public static void CheckNullItems(JsonElement root, Func<IReadOnlyList<JsonPathSegment>, string?> describe) =>
        Walk(root, [], checkNulls: true, describe);

    private static void Walk(JsonElement element, List<JsonPathSegment> path, bool checkNulls, Func<IReadOnlyList<JsonPathSegment>, string?>? describe)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    path.Add(JsonPathSegment.Property(checkNulls ? property.Name : NameOf(property, path)));
                    Walk(property.Value, path, checkNulls, describe);
                    path.RemoveAt(path.Count - 1);
                }

                break;
            case JsonValueKind.Array:
                int index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    path.Add(JsonPathSegment.Item(index++));
                    if (checkNulls && item.ValueKind == JsonValueKind.Null)
                    {
                        throw NullItem(path, describe!(path));
                    }

                    Walk(item, path, checkNulls, describe);
                    path.RemoveAt(path.Count - 1);
                }

                break;
            case JsonValueKind.String when !checkNulls:
                CheckString(element, path);
                break;
        }
    }

    private static string NameOf(JsonProperty property, List<JsonPathSegment> path)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException ex)
        {
            var where = JsonPath.Format(path);
            throw Invalid(where is null ? "A property name of the request body" : $"A property name in {where}", where, ex);
        }
    }

    private static void CheckString(JsonElement value, List<JsonPathSegment> path)
    {
        try
        {
            _ = value.GetString();
        }
        catch (InvalidOperationException ex)
        {
            var where = JsonPath.Format(path);
            throw Invalid(where ?? "The request body", where, ex);
        }
    }

    private static ApiException Invalid(string subject, string? param, InvalidOperationException ex)
    {
        string detail = ex.InnerException is DecoderFallbackException
            ? "it contains bytes that are not valid UTF-8"
            : "it contains a lone UTF-16 surrogate escape such as \\ud800 (a surrogate must be half of a pair)";
        return new ApiException(400, $"{subject} is not valid Unicode text: {detail}.", ApiException.InvalidRequest, param, "invalid_unicode");
    }

    private static ApiException NullItem(List<JsonPathSegment> path, string? expected)
    {
        var field = JsonPath.Format(path)!;
        var message = expected is null ? $"{field} must not be null." : $"{field} must be {expected}, not null.";
        return new ApiException(400, message, ApiException.InvalidRequest, field, "invalid_type");
    }
}
