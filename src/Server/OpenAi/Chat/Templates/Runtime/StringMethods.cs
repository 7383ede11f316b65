using System.Text;

namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>The Python str methods chat templates call (<c>content.strip()</c>, <c>role.startswith('a')</c>, ...).</summary>
internal static class StringMethods
{
    public static JinjaFunction? Bind(string s, string name)
    {
        Func<Arguments, object?>? body = name switch
        {
            "strip" => a => Strip(s, Chars(a.Check(name, 1)), left: true, right: true),
            "lstrip" => a => Strip(s, Chars(a.Check(name, 1)), left: true, right: false),
            "rstrip" => a => Strip(s, Chars(a.Check(name, 1)), left: false, right: true),
            "upper" => _ => s.ToUpperInvariant(),
            "lower" or "casefold" => _ => s.ToLowerInvariant(),
            "title" => _ => Title(s),
            "capitalize" => _ => Capitalize(s),
            "startswith" => a => Affix(s, a.Check(name, 1).Get(0, "prefix"), (x, p) => x.StartsWith(p, StringComparison.Ordinal)),
            "endswith" => a => Affix(s, a.Check(name, 1).Get(0, "suffix"), (x, p) => x.EndsWith(p, StringComparison.Ordinal)),
            "split" => a => Split(s, a.Check(name, 2, "sep", "maxsplit").Get(0, "sep"), MaxSplit(a), fromRight: false),
            "rsplit" => a => Split(s, a.Check(name, 2, "sep", "maxsplit").Get(0, "sep"), MaxSplit(a), fromRight: true),
            "splitlines" => a => SplitLines(s, PyOps.Truthy(a.Check(name, 1, "keepends").Get(0, "keepends", false))).ToList<object?>(),
            "replace" => a => Replace(s, Text(a.Check(name, 3).Get(0, "old")), Text(a.Get(1, "new")), a.Has(2, "count") ? PyOps.ToLong(a.Get(2, "count")) : -1),
            "join" => a => Join(s, PyOps.Iterate(a.Check(name, 1).Get(0, "iterable"))),
            "format" => a => PyFormat.Format(s, a),
            "find" => a => (long)CodePointIndex(s, s.IndexOf(Text(a.Check(name, 1).Get(0, "sub")), StringComparison.Ordinal)),
            "rfind" => a => (long)CodePointIndex(s, s.LastIndexOf(Text(a.Check(name, 1).Get(0, "sub")), StringComparison.Ordinal)),
            "count" => a => (long)Count(s, Text(a.Check(name, 1).Get(0, "sub"))),
            "removeprefix" => a => Text(a.Check(name, 1).Get(0, "prefix")) is var p && s.StartsWith(p, StringComparison.Ordinal) ? s[p.Length..] : s,
            "removesuffix" => a => Text(a.Check(name, 1).Get(0, "suffix")) is var p && p.Length > 0 && s.EndsWith(p, StringComparison.Ordinal) ? s[..^p.Length] : s,
            "isdigit" => _ => s.Length > 0 && s.All(char.IsDigit),
            "isalpha" => _ => s.Length > 0 && s.All(char.IsLetter),
            "isalnum" => _ => s.Length > 0 && s.All(char.IsLetterOrDigit),
            "isspace" => _ => s.Length > 0 && s.All(char.IsWhiteSpace),
            "islower" => _ => s.Any(char.IsLower) && !s.Any(char.IsUpper),
            "isupper" => _ => s.Any(char.IsUpper) && !s.Any(char.IsLower),
            _ => null,
        };
        return body is null ? null : new JinjaFunction("str." + name, body);
    }

    /// <summary>Python's str.strip family: whitespace when <paramref name="chars"/> is null, else any of its chars.</summary>
    public static string Strip(string s, string? chars, bool left, bool right)
    {
        Func<char, bool> strip = chars is null ? char.IsWhiteSpace : chars.Contains;
        int start = 0, end = s.Length;
        while (left && start < end && strip(s[start]))
        {
            start++;
        }

        while (right && end > start && strip(s[end - 1]))
        {
            end--;
        }

        return s[start..end];
    }

    /// <summary>Python's str.title: a letter after a non-letter is upper-cased, every other letter lower-cased.</summary>
    public static string Title(string s)
    {
        var text = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (char c in s)
        {
            text.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = char.IsLetter(c);
        }

        return text.ToString();
    }

    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    public static string Text(object? value) =>
        value as string ?? throw new TemplateException($"expected a string argument, got '{PyText.TypeName(value)}'");

    public static IEnumerable<string> SplitLines(string s, bool keepEnds)
    {
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] is not ('\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029'))
            {
                continue;
            }

            int end = s[i] == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? i + 2 : i + 1;
            yield return s[start..(keepEnds ? end : i)];
            start = end;
            i = end - 1;
        }

        if (start < s.Length)
        {
            yield return s[start..];
        }
    }

    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0)
        {
            return old.Length == 0 ? Replace(s, old, replacement, long.MaxValue) : Limits.CheckString(s.Replace(old, replacement, StringComparison.Ordinal));
        }

        var text = new StringBuilder();
        int at = 0;
        for (long done = 0; done < count; done++)
        {
            int found = old.Length == 0 ? (at <= s.Length ? at : -1) : s.IndexOf(old, at, StringComparison.Ordinal);
            if (found < 0)
            {
                break;
            }

            text.Append(s, at, found - at).Append(replacement);
            if (old.Length == 0)
            {
                if (found < s.Length)
                {
                    text.Append(s[found]);
                }

                at = found + 1;
            }
            else
            {
                at = found + old.Length;
            }

            Limits.CheckLength(text.Length);
        }

        return at < s.Length ? text.Append(s, at, s.Length - at).ToString() : text.ToString();
    }

    private static string? Chars(Arguments args) => args.Get(0, "chars") is { } chars ? Text(chars) : null;

    private static long MaxSplit(Arguments args) => PyOps.ToLong(args.Get(1, "maxsplit", -1L));

    private static bool Affix(string s, object? affix, Func<string, string, bool> test) => affix switch
    {
        string one => test(s, one),
        object?[] many => many.Any(a => test(s, Text(a))),
        _ => throw new TemplateException($"startswith/endswith first arg must be str or a tuple of str, not {PyText.TypeName(affix)}"),
    };

    private static List<object?> Split(string s, object? separator, long maxSplit, bool fromRight)
    {
        if (separator is null)
        {
            var words = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (maxSplit < 0 || words.Length <= maxSplit + 1)
            {
                return [.. words];
            }

            // Python keeps the unsplit remainder whole (inner whitespace included) as the last (or first) part.
            return fromRight ? SplitWhitespaceRight(s.TrimEnd(), (int)maxSplit) : SplitWhitespaceLeft(s.TrimStart(), (int)maxSplit);
        }

        string sep = Text(separator);
        if (sep.Length == 0)
        {
            throw new TemplateException("empty separator");
        }

        if (maxSplit < 0)
        {
            return [.. s.Split(sep)];
        }

        if (!fromRight)
        {
            return [.. s.Split(sep, (int)Math.Min(maxSplit + 1, int.MaxValue))];
        }

        var parts = new List<object?>();
        string rest = s;
        for (long n = 0; n < maxSplit && rest.LastIndexOf(sep, StringComparison.Ordinal) is var at and >= 0; n++)
        {
            parts.Insert(0, rest[(at + sep.Length)..]);
            rest = rest[..at];
        }

        parts.Insert(0, rest);
        return parts;
    }

    private static List<object?> SplitWhitespaceLeft(string s, int maxSplit)
    {
        var parts = new List<object?>();
        int i = 0;
        while (parts.Count < maxSplit)
        {
            int end = i;
            while (end < s.Length && !char.IsWhiteSpace(s[end]))
            {
                end++;
            }

            parts.Add(s[i..end]);
            i = end;
            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }
        }

        parts.Add(s[i..]);
        return parts;
    }

    private static List<object?> SplitWhitespaceRight(string s, int maxSplit)
    {
        var reversed = SplitWhitespaceLeft(new string(s.Reverse().ToArray()), maxSplit);
        reversed.Reverse();
        return reversed.Select(p => (object?)new string(((string)p!).Reverse().ToArray())).ToList();
    }

    private static string Join(string separator, IReadOnlyList<object?> items) =>
        Limits.CheckString(string.Join(separator, items.Select((item, i) =>
            item as string ?? throw new TemplateException($"sequence item {i}: expected str instance, {PyText.TypeName(item)} found"))));

    private static int Count(string s, string sub)
    {
        if (sub.Length == 0)
        {
            return PyText.CodePointLength(s) + 1;
        }

        int count = 0;
        for (int at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static int CodePointIndex(string s, int charIndex) =>
        charIndex <= 0 || PyText.IsSimple(s) ? charIndex : PyText.CodePointLength(s[..charIndex]);
}
