using System.Globalization;
using System.Text.RegularExpressions;

namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>
/// Jinja's built-in filters that chat templates use, with Jinja's argument names and semantics, and transformers'
/// <c>tojson</c> (json.dumps with ensure_ascii=False, indent, separators, sort_keys; no HTML escaping).
/// </summary>
internal static partial class Filters
{
    private static readonly Dictionary<string, Func<object?, Arguments, object?>> s_filters = new(StringComparer.Ordinal)
    {
        ["abs"] = (v, _) => PyOps.IsInt(v) ? (object)Math.Abs(PyOps.ToLong(v)) : v is double d ? Math.Abs(d) : throw new TemplateException($"bad operand type for abs(): '{PyText.TypeName(v)}'"),
        ["attr"] = (v, a) => Members.GetAttr(v, StringMethods.Text(a.Check("attr", 1).Get(0, "name"))),
        ["capitalize"] = (v, _) => StringMethods.Capitalize(PyText.Str(v)),
        ["count"] = (v, _) => PyOps.Length(v),
        ["default"] = Default,
        ["d"] = Default,
        ["dictsort"] = DictSort,
        ["escape"] = (v, _) => Escape(PyText.Str(v)),
        ["e"] = (v, _) => Escape(PyText.Str(v)),
        ["forceescape"] = (v, _) => Escape(PyText.Str(v)),
        ["first"] = (v, _) => PyOps.Iterate(v) is { Count: > 0 } items ? items[0] : new Undefined("No first item, sequence was empty."),
        ["float"] = (v, a) => ToFloat(v, a.Check("float", 1, "default").Get(0, "default", 0.0)),
        ["format"] = (v, a) => PyFormat.Percent(PyText.Str(v), a.Named.Count > 0 ? Dict(a.Named) : a.Positional.ToArray()),
        ["indent"] = Indent,
        ["int"] = ToInt,
        ["items"] = (v, _) => v is Undefined ? new List<object?>() : v is JinjaDict dict ? Pairs(dict) : throw new TemplateException("Can only get item pairs from a mapping."),
        ["join"] = Join,
        ["last"] = (v, _) => PyOps.Iterate(v) is { Count: > 0 } items ? items[^1] : new Undefined("No last item, sequence was empty."),
        ["length"] = (v, _) => PyOps.Length(v),
        ["list"] = (v, _) => PyOps.Iterate(v).ToList(),
        ["lower"] = (v, _) => PyText.Str(v).ToLowerInvariant(),
        ["map"] = Map,
        ["max"] = (v, a) => MinMax(v, a, max: true),
        ["min"] = (v, a) => MinMax(v, a, max: false),
        ["pprint"] = (v, _) => PyText.Repr(v),
        ["reject"] = (v, a) => Select(v, a, byAttribute: false, keep: false),
        ["rejectattr"] = (v, a) => Select(v, a, byAttribute: true, keep: false),
        ["replace"] = (v, a) => StringMethods.Replace(PyText.Str(v), PyText.Str(a.Check("replace", 3, "old", "new", "count").Get(0, "old")),
            PyText.Str(a.Get(1, "new")), a.Get(2, "count") is { } count ? PyOps.ToLong(count) : -1),
        ["reverse"] = (v, _) => v is string s ? string.Concat(PyText.CodePoints(s).Reverse()) : PyOps.Iterate(v).Reverse().ToList(),
        ["round"] = Round,
        ["safe"] = (v, _) => v,
        ["select"] = (v, a) => Select(v, a, byAttribute: false, keep: true),
        ["selectattr"] = (v, a) => Select(v, a, byAttribute: true, keep: true),
        ["sort"] = Sort,
        ["string"] = (v, _) => PyText.Str(v),
        ["sum"] = Sum,
        ["title"] = (v, _) => string.Concat(WordBeginning().Split(PyText.Str(v)).Where(w => w.Length > 0).Select(w => char.ToUpperInvariant(w[0]) + w[1..].ToLowerInvariant())),
        ["tojson"] = ToJson,
        ["trim"] = (v, a) => StringMethods.Strip(PyText.Str(v), a.Check("trim", 1, "chars").Get(0, "chars") is { } c ? PyText.Str(c) : null, left: true, right: true),
        ["unique"] = Unique,
        ["upper"] = (v, _) => PyText.Str(v).ToUpperInvariant(),
        ["wordcount"] = (v, _) => (long)Word().Count(PyText.Str(v)),
    };

    public static bool Exists(string name) => s_filters.ContainsKey(name);

    public static object? Apply(string name, object? value, Arguments args) =>
        s_filters.TryGetValue(name, out var filter) ? filter(value, args) : throw new TemplateException($"no filter named '{name}'");

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBeginning();

    [GeneratedRegex(@"\w+")]
    private static partial Regex Word();

    private static object? Default(object? value, Arguments a)
    {
        bool boolean = PyOps.Truthy(a.Check("default", 2, "default_value", "boolean").Get(1, "boolean", false));
        return value is Undefined || (boolean && !PyOps.Truthy(value)) ? a.Get(0, "default_value", string.Empty) : value;
    }

    private static object? Indent(object? value, Arguments a)
    {
        var width = a.Check("indent", 3, "width", "first", "blank").Get(0, "width", 4L);
        string indention = width as string ?? new string(' ', (int)Math.Clamp(PyOps.ToLong(width), 0, 1024));
        var lines = StringMethods.SplitLines(PyText.Str(value) + "\n", keepEnds: false).ToList();
        string text = PyOps.Truthy(a.Get(2, "blank", false))
            ? string.Join("\n" + indention, lines)
            : lines[0] + (lines.Count > 1 ? "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? indention + l : l)) : string.Empty);
        return Limits.CheckString(PyOps.Truthy(a.Get(1, "first", false)) ? indention + text : text);
    }

    private static object? ToInt(object? value, Arguments a)
    {
        object? fallback = a.Check("int", 2, "default", "base").Get(0, "default", 0L);
        int radix = (int)PyOps.ToLong(a.Get(1, "base", 10L));
        switch (value)
        {
            case long or bool:
                return PyOps.ToLong(value);
            case double d:
                return double.IsFinite(d) && Math.Abs(d) < 9.2e18 ? (long)Math.Truncate(d) : fallback;
            case string s:
                string digits = s.Trim().Replace("_", string.Empty, StringComparison.Ordinal);
                if (radix == 10 && long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
                {
                    return n;
                }

                if (radix is 2 or 8 or 16 && TryParseRadix(digits, radix, out n))
                {
                    return n;
                }

                return ToFloat(s, null) is double parsed && double.IsFinite(parsed) && Math.Abs(parsed) < 9.2e18 ? (long)Math.Truncate(parsed) : fallback;
            default:
                return fallback;
        }
    }

    private static bool TryParseRadix(string digits, int radix, out long value)
    {
        try
        {
            value = Convert.ToInt64(digits, radix);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            value = 0;
            return false;
        }
    }

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        double d => d,
        long or bool => (double)PyOps.ToLong(value),
        string s when double.TryParse(s.Trim().Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
        string s when s.Trim().ToLowerInvariant() is var t && (t is "inf" or "+inf" or "infinity" or "-inf" or "-infinity" or "nan") =>
            t == "nan" ? double.NaN : t.StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity,
        _ => fallback,
    };

    private static object? Round(object? value, Arguments a)
    {
        int precision = (int)Math.Clamp(PyOps.ToLong(a.Check("round", 2, "precision", "method").Get(0, "precision", 0L)), -15, 15);
        string method = PyText.Str(a.Get(1, "method", "common"));
        if (!PyOps.IsNumber(value))
        {
            throw new TemplateException($"round needs a number, not '{PyText.TypeName(value)}'");
        }

        double scale = Math.Pow(10, precision);
        return method switch
        {
            "common" when PyOps.IsInt(value) && precision >= 0 => (object)PyOps.ToLong(value),
            "common" => precision >= 0 ? Math.Round(PyOps.ToDouble(value), precision, MidpointRounding.ToEven) : Math.Round(PyOps.ToDouble(value) * scale, MidpointRounding.ToEven) / scale,
            "ceil" => Math.Ceiling(PyOps.ToDouble(value) * scale) / scale,
            "floor" => Math.Floor(PyOps.ToDouble(value) * scale) / scale,
            _ => throw new TemplateException("round method must be 'common', 'ceil' or 'floor'"),
        };
    }

    private static object? ToJson(object? value, Arguments a)
    {
        a.Check("tojson", 4, "ensure_ascii", "indent", "separators", "sort_keys");
        string? indent = a.Get(1, "indent") switch
        {
            null => null,
            string s => s,
            var n => new string(' ', (int)Math.Clamp(PyOps.ToLong(n), 0, 64)),
        };
        string? itemSeparator = null, keySeparator = null;
        if (a.Get(2, "separators") is IReadOnlyList<object?> { Count: 2 } separators)
        {
            itemSeparator = StringMethods.Text(separators[0]);
            keySeparator = StringMethods.Text(separators[1]);
        }

        return PyJson.Dumps(value, indent, itemSeparator, keySeparator, PyOps.Truthy(a.Get(3, "sort_keys", false)), PyOps.Truthy(a.Get(0, "ensure_ascii", false)));
    }

    private static JinjaDict Dict(IEnumerable<KeyValuePair<string, object?>> entries)
    {
        var dict = new JinjaDict();
        foreach (var (key, value) in entries)
        {
            dict.Set(key, value);
        }

        return dict;
    }

    private static string Escape(string s) =>
        s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("\"", "&#34;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);
}
