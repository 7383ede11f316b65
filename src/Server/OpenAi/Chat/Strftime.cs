using System.Globalization;
using System.Text;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>Python's strftime for the directives chat templates use (Llama 3.x prints "%d %b %Y"), in the invariant (C) locale.</summary>
internal static class Strftime
{
    public static string Format(DateTimeOffset time, string format)
    {
        var text = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length)
            {
                text.Append(format[i]);
                continue;
            }

            char directive = format[++i];
            bool noPad = directive == '-' && i + 1 < format.Length;
            if (noPad)
            {
                directive = format[++i];
            }

            text.Append(Directive(time, directive, noPad));
        }

        return text.ToString();
    }

    private static string Directive(DateTimeOffset t, char directive, bool noPad)
    {
        var c = CultureInfo.InvariantCulture;
        string Pad(int value, int width) => noPad ? value.ToString(c) : value.ToString(new string('0', width), c);
        return directive switch
        {
            'd' => Pad(t.Day, 2),
            'm' => Pad(t.Month, 2),
            'Y' => t.Year.ToString(c),
            'y' => Pad(t.Year % 100, 2),
            'H' => Pad(t.Hour, 2),
            'I' => Pad(t.Hour % 12 == 0 ? 12 : t.Hour % 12, 2),
            'M' => Pad(t.Minute, 2),
            'S' => Pad(t.Second, 2),
            'j' => Pad(t.DayOfYear, 3),
            'p' => t.Hour < 12 ? "AM" : "PM",
            'b' => t.ToString("MMM", c),
            'B' => t.ToString("MMMM", c),
            'a' => t.ToString("ddd", c),
            'A' => t.ToString("dddd", c),
            'z' => t.ToString("zzz", c).Replace(":", string.Empty, StringComparison.Ordinal),
            '%' => "%",
            _ => "%" + directive,
        };
    }
}
