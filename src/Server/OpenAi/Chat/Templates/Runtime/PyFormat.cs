using System.Globalization;
using System.Text.RegularExpressions;

namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>
/// The simple forms of Python's string formatting that templates use: <c>'%s and %d' % (a, b)</c> (and the
/// <c>format</c> filter) and <c>'{} {name}'.format(a, name=b)</c>. Conversions s r d i f x and %% with flags, width
/// and precision; for str.format, no format spec beyond <c>:d</c>, <c>:s</c> and <c>:.Nf</c>.
/// </summary>
internal static partial class PyFormat
{
    [GeneratedRegex(@"%(?:\((?<key>[^)]*)\))?(?<flags>[-+ 0#]*)(?<width>\d+)?(?:\.(?<precision>\d+))?(?<type>[srdifFxX%])")]
    private static partial Regex PercentSpec();

    [GeneratedRegex(@"\{\{|\}\}|\{(?<field>[^{}!:]*)(?:!(?<conv>[rs]))?(?::(?<spec>[^{}]*))?\}|[{}]")]
    private static partial Regex BraceField();

    public static string Percent(string format, object? args)
    {
        var positional = args is object?[] tuple ? tuple : [args];
        int next = 0;
        var result = PercentSpec().Replace(format, m =>
        {
            string type = m.Groups["type"].Value;
            if (type == "%")
            {
                return "%";
            }

            object? value = m.Groups["key"].Success
                ? args is JinjaDict dict && dict.TryGetValue(m.Groups["key"].Value, out var v) ? v : throw new TemplateException($"format requires a mapping with key '{m.Groups["key"].Value}'")
                : next < positional.Length ? positional[next++] : throw new TemplateException("not enough arguments for format string");
            return Pad(Convert(value, type, m.Groups["precision"].Success ? int.Parse(m.Groups["precision"].Value, CultureInfo.InvariantCulture) : null),
                m.Groups["flags"].Value, m.Groups["width"].Success ? int.Parse(m.Groups["width"].Value, CultureInfo.InvariantCulture) : 0);
        });
        if (args is not JinjaDict && next < positional.Length)
        {
            throw new TemplateException("not all arguments converted during string formatting");
        }

        return result;
    }

    public static string Format(string format, Arguments args)
    {
        int auto = 0;
        return BraceField().Replace(format, m =>
        {
            if (m.Value is "{{" or "}}")
            {
                return m.Value[..1];
            }

            if (!m.Groups["field"].Success)
            {
                throw new TemplateException($"single '{m.Value}' encountered in format string");
            }

            string field = m.Groups["field"].Value;
            object? value = field.Length == 0 ? Positional(args, auto++)
                : int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int index) ? Positional(args, index)
                : args.Named.FirstOrDefault(n => n.Key == field) is { Key: not null } named ? named.Value
                : throw new TemplateException($"format() has no argument named '{field}'");
            string text = m.Groups["conv"].Value == "r" ? PyText.Repr(value) : FormatSpec(value, m.Groups["spec"].Value);
            return text;
        });
    }

    private static object? Positional(Arguments args, int index) =>
        index < args.Positional.Count ? args.Positional[index] : throw new TemplateException($"format() needs a positional argument {index}");

    private static string FormatSpec(object? value, string spec) => spec switch
    {
        "" or "s" => PyText.Str(value),
        "d" => PyOps.ToLong(value).ToString(CultureInfo.InvariantCulture),
        _ when spec.Length >= 3 && spec[0] == '.' && spec[^1] == 'f' && int.TryParse(spec.AsSpan(1, spec.Length - 2), out int digits) =>
            PyOps.ToDouble(value).ToString("F" + digits, CultureInfo.InvariantCulture),
        _ => throw new TemplateException($"format spec ':{spec}' is not supported"),
    };

    private static string Convert(object? value, string type, int? precision) => type switch
    {
        "s" => precision is { } p && PyText.Str(value) is { } s && s.Length > p ? s[..p] : PyText.Str(value),
        "r" => PyText.Repr(value),
        "d" or "i" => (value is double d ? (long)Math.Truncate(d) : PyOps.ToLong(value)).ToString(CultureInfo.InvariantCulture),
        "f" or "F" => PyOps.ToDouble(value).ToString("F" + (precision ?? 6), CultureInfo.InvariantCulture),
        "x" => PyOps.ToLong(value).ToString("x", CultureInfo.InvariantCulture),
        _ => PyOps.ToLong(value).ToString("X", CultureInfo.InvariantCulture),
    };

    private static string Pad(string text, string flags, int width)
    {
        if (text.Length >= width)
        {
            return text;
        }

        if (flags.Contains('-'))
        {
            return text.PadRight(width);
        }

        if (flags.Contains('0') && text.Length > 0 && (char.IsAsciiDigit(text[^1])))
        {
            bool negative = text[0] == '-';
            return negative ? "-" + text[1..].PadLeft(width - 1, '0') : text.PadLeft(width, '0');
        }

        return text.PadLeft(width);
    }

    /// <summary>Python's str.format for a JinjaFunction bound to <paramref name="format"/>.</summary>
    public static JinjaFunction Bind(string format) => new("str.format", args => Format(format, args));
}
