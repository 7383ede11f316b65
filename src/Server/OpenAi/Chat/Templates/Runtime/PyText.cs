using System.Globalization;
using System.Text;

namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>
/// Python's <c>str()</c> and <c>repr()</c> of template values, which is what <c>{{ x }}</c> prints: None, True,
/// 1.0, 1e-05, ['a', 'b'], {'k': 1}; undefined prints as "". Strings index by code point, as in Python.
/// </summary>
internal static class PyText
{
    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        object?[] => "tuple",
        IReadOnlyList<object?> => "list",
        JinjaDict => "dict",
        JinjaNamespace => "Namespace",
        LoopContext => "LoopContext",
        IJinjaCallable => "function",
        _ => value.GetType().Name,
    };

    public static string Str(object? value) => value switch
    {
        string s => s,
        Undefined => string.Empty,
        _ => Repr(value),
    };

    public static string Repr(object? value) => value switch
    {
        null => "None",
        Undefined => "Undefined",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        string s => StringRepr(s),
        object?[] tuple => tuple.Length == 1 ? $"({Repr(tuple[0])},)" : $"({string.Join(", ", tuple.Select(Repr))})",
        IReadOnlyList<object?> list => $"[{string.Join(", ", list.Select(Repr))}]",
        JinjaDict dict => $"{{{string.Join(", ", dict.Items.Select(kv => $"{Repr(kv.Key)}: {Repr(kv.Value)}"))}}}",
        JinjaNamespace ns => $"<Namespace {{{string.Join(", ", ns.Attributes.Select(kv => $"'{kv.Key}': {Repr(kv.Value)}"))}}}>",
        LoopContext => "<LoopContext>",
        IJinjaCallable f => $"<function {f.Name}>",
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>Python's shortest round-trip float repr: fixed notation for exponents -4..15, else d.ddde+XX.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        if (d == 0)
        {
            return double.IsNegative(d) ? "-0.0" : "0.0";
        }

        var (digits, point) = ShortestDigits(Math.Abs(d));
        var text = new StringBuilder(d < 0 ? "-" : string.Empty);
        if (point is > -4 and <= 16)
        {
            if (point <= 0)
            {
                text.Append("0.").Append('0', -point).Append(digits);
            }
            else if (point >= digits.Length)
            {
                text.Append(digits).Append('0', point - digits.Length).Append(".0");
            }
            else
            {
                text.Append(digits, 0, point).Append('.').Append(digits, point, digits.Length - point);
            }
        }
        else
        {
            int exponent = point - 1;
            text.Append(digits[0]);
            if (digits.Length > 1)
            {
                text.Append('.').Append(digits, 1, digits.Length - 1);
            }

            text.Append(exponent < 0 ? "e-" : "e+").Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>The shortest round-trip significant digits of a positive finite <paramref name="d"/>, and where the decimal point falls (0.DIGITS × 10^point).</summary>
    private static (string Digits, int Point) ShortestDigits(double d)
    {
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        int exponent = 0;
        int e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }

        int dot = r.IndexOf('.');
        string whole = dot < 0 ? r : r[..dot];
        string digits = whole + (dot < 0 ? string.Empty : r[(dot + 1)..]);
        int point = whole.Length + exponent;
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0')
        {
            lead++;
            point--;
        }

        digits = digits[lead..].TrimEnd('0');
        return (digits.Length == 0 ? "0" : digits, point);
    }

    /// <summary>Python's repr of a str: single quotes unless it holds ' and no ", control characters escaped.</summary>
    public static string StringRepr(string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var text = new StringBuilder(s.Length + 2).Append(quote);
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': text.Append(@"\\"); break;
                case '\n': text.Append(@"\n"); break;
                case '\r': text.Append(@"\r"); break;
                case '\t': text.Append(@"\t"); break;
                case < ' ' or '\x7f': text.Append(@"\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default:
                    if (c == quote)
                    {
                        text.Append('\\');
                    }

                    text.Append(c);
                    break;
            }
        }

        return text.Append(quote).ToString();
    }

    /// <summary>True when every char is a whole code point (no surrogate pairs): then char and code point indices agree.</summary>
    public static bool IsSimple(string s) => !s.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF');

    /// <summary>The string's code points, each as a string (Python's iteration over a str).</summary>
    public static IReadOnlyList<string> CodePoints(string s)
    {
        var points = new List<string>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            bool pair = char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]);
            points.Add(s.Substring(i, pair ? 2 : 1));
            i += pair ? 1 : 0;
        }

        return points;
    }

    public static int CodePointLength(string s) => IsSimple(s) ? s.Length : CodePoints(s).Count;
}
