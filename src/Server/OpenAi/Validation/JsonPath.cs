using System.Globalization;
using System.Text;

namespace MambaServe.Server.OpenAi.Validation;

/// <summary>
/// Field paths as clients read them (<c>messages[1].content</c>, <c>logit_bias.50256</c>): what OpenAI's error
/// <c>param</c> carries. Parses System.Text.Json's paths (<c>$.messages[1]</c>, <c>$['a.b']</c>) into segments.
/// </summary>
public static class JsonPath
{
    /// <summary>The field path, or null for the body itself.</summary>
    public static string? Format(IReadOnlyList<JsonPathSegment> path)
    {
        if (path.Count == 0)
        {
            return null;
        }

        var text = new StringBuilder();
        foreach (var segment in path)
        {
            if (segment.Index is { } index)
            {
                text.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else
            {
                text.Append(text.Length == 0 ? string.Empty : ".").Append(segment.Name);
            }
        }

        return text.ToString();
    }

    /// <summary>Segments of a System.Text.Json path such as <c>$.a[2]['b.c']</c>; what it cannot read ends the path.</summary>
    public static List<JsonPathSegment> Parse(string? path)
    {
        var segments = new List<JsonPathSegment>();
        if (string.IsNullOrEmpty(path) || path[0] != '$')
        {
            return segments;
        }

        int i = 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                int end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                segments.Add(JsonPathSegment.Property(path[(i + 1)..end]));
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['", StringComparison.Ordinal))
            {
                int end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    break;
                }

                segments.Add(JsonPathSegment.Property(path[(i + 2)..end]));
                i = end + 2;
            }
            else if (path[i] == '[')
            {
                int end = path.IndexOf(']', i);
                if (end < 0 || !int.TryParse(path.AsSpan(i + 1, end - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                {
                    break;
                }

                segments.Add(JsonPathSegment.Item(index));
                i = end + 1;
            }
            else
            {
                break;
            }
        }

        return segments;
    }
}
