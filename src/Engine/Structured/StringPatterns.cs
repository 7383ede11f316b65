namespace MambaServe.Engine.Structured;

/// <summary>
/// A JSON schema's string keywords as one regular expression over the string's characters: <c>pattern</c> (which
/// JSON Schema searches for anywhere in the string unless anchored, so an unanchored side is opened with
/// <c>[\s\S]*</c>), <c>minLength</c> / <c>maxLength</c> (code points), and the formats with a fixed shape (date,
/// time, date-time, uuid). Other formats stay annotations, as JSON Schema has them by default.
/// </summary>
internal static class StringPatterns
{
    private const string Date = @"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])";
    private const string Time = @"([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|z|[+-]([01]\d|2[0-3]):[0-5]\d)";

    private static readonly Dictionary<string, string> s_formats = new(StringComparer.Ordinal)
    {
        ["date"] = Date,
        ["time"] = Time,
        ["date-time"] = Date + "[Tt]" + Time,
        ["uuid"] = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    };

    /// <summary>The expression for the string keywords present, or null when none constrains the text.</summary>
    public static string? For(string? pattern, int? minLength, int? maxLength, string? format, string path)
    {
        bool lengths = minLength is not null || maxLength is not null;
        if (pattern is not null)
        {
            return lengths
                ? throw new SchemaNotSupportedException(path, "`pattern` beside `minLength` / `maxLength` is not enforced by this server")
                : Searched(pattern, path);
        }

        if (lengths)
        {
            int min = minLength ?? 0;
            return maxLength is { } max ? $"[\\s\\S]{{{min},{max}}}" : $"[\\s\\S]{{{min},}}";
        }

        return format is not null && s_formats.TryGetValue(format, out var shape) ? shape : null;
    }

    /// <summary>JSON Schema's pattern finds a match anywhere: each side without its anchor is opened.</summary>
    private static string Searched(string pattern, string path)
    {
        bool start = pattern.StartsWith('^');
        bool end = pattern.EndsWith('$') && !pattern.EndsWith("\\$", StringComparison.Ordinal);
        var inner = pattern[(start ? 1 : 0)..(end ? pattern.Length - 1 : pattern.Length)];
        if ((start || end) && !(start && end) && HasTopLevelAlternation(inner))
        {
            // ^a|b anchors only its first option: no one rewriting of the sides covers both.
            throw new SchemaNotSupportedException(path, "a `pattern` anchored on one side with a top-level `|` is not enforced by this server");
        }

        if (start && end && HasTopLevelAlternation(inner))
        {
            throw new SchemaNotSupportedException(path, "a `pattern` with `^` and `$` around a top-level `|` is not enforced by this server");
        }

        return (start ? "" : @"[\s\S]*") + "(?:" + inner + ")" + (end ? "" : @"[\s\S]*");
    }

    private static bool HasTopLevelAlternation(string pattern)
    {
        int depth = 0;
        bool inClass = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\')
            {
                i++;
            }
            else if (inClass)
            {
                inClass = c != ']';
            }
            else if (c == '[')
            {
                inClass = true;
            }
            else if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                depth--;
            }
            else if (c == '|' && depth == 0)
            {
                return true;
            }
        }

        return false;
    }
}
