using System.Globalization;
using System.Text;

namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>
/// <c>json.dumps</c> as transformers' <c>tojson</c> filter calls it: ensure_ascii off by default, separators
/// ", " and ": " (or "," and ": " with an indent), optional sorted keys; floats as Python prints them.
/// </summary>
internal static class PyJson
{
    public static string Dumps(object? value, string? indent, string? itemSeparator, string? keySeparator, bool sortKeys, bool ensureAscii)
    {
        var writer = new Writer(indent, itemSeparator ?? (indent is null ? ", " : ","), keySeparator ?? ": ", sortKeys, ensureAscii);
        writer.Write(value, 0);
        return writer.ToString();
    }

    private sealed class Writer(string? indent, string itemSeparator, string keySeparator, bool sortKeys, bool ensureAscii)
    {
        private readonly StringBuilder _out = new();

        public override string ToString() => _out.ToString();

        public void Write(object? value, int level)
        {
            System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
            switch (value)
            {
                case null: _out.Append("null"); break;
                case bool b: _out.Append(b ? "true" : "false"); break;
                case long l: _out.Append(l.ToString(CultureInfo.InvariantCulture)); break;
                case double d: _out.Append(Float(d)); break;
                case string s: String(s); break;
                case IReadOnlyList<object?> list: Container('[', ']', list, level, item => Write(item, level + 1)); break;
                case JinjaDict dict: Container('{', '}', Entries(dict), level, kv => Entry(kv, level)); break;
                default: throw new TemplateException($"Object of type {PyText.TypeName(value)} is not JSON serializable");
            }

            Limits.CheckLength(_out.Length);
        }

        private List<KeyValuePair<string, object?>> Entries(JinjaDict dict)
        {
            var entries = dict.Items.Select(kv => new KeyValuePair<object, object?>(kv.Key, kv.Value)).ToList();
            if (sortKeys)
            {
                entries.Sort((x, y) => PyOps.Order(x.Key, y.Key));
            }

            return entries.Select(kv => new KeyValuePair<string, object?>(Key(kv.Key), kv.Value)).ToList();
        }

        private void Entry(KeyValuePair<string, object?> entry, int level)
        {
            String(entry.Key);
            _out.Append(keySeparator);
            Write(entry.Value, level + 1);
        }

        private void Container<T>(char open, char close, IReadOnlyList<T> items, int level, Action<T> write)
        {
            _out.Append(open);
            if (items.Count == 0)
            {
                _out.Append(close);
                return;
            }

            string newline = indent is null ? string.Empty : "\n" + string.Concat(Enumerable.Repeat(indent, level + 1));
            _out.Append(newline);
            for (int i = 0; i < items.Count; i++)
            {
                if (i > 0)
                {
                    _out.Append(itemSeparator).Append(newline);
                }

                write(items[i]);
            }

            if (indent is not null)
            {
                _out.Append('\n').Append(string.Concat(Enumerable.Repeat(indent, level)));
            }

            _out.Append(close);
        }

        private static string Key(object key) => key switch
        {
            string s => s,
            bool b => b ? "true" : "false",
            long l => l.ToString(CultureInfo.InvariantCulture),
            double d => Float(d),
            _ => throw new TemplateException($"keys must be str, int, float, bool or None, not {PyText.TypeName(key)}"),
        };

        private static string Float(double d) =>
            double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyText.FloatRepr(d);

        private void String(string s)
        {
            _out.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': _out.Append("\\\""); break;
                    case '\\': _out.Append(@"\\"); break;
                    case '\n': _out.Append(@"\n"); break;
                    case '\r': _out.Append(@"\r"); break;
                    case '\t': _out.Append(@"\t"); break;
                    case '\b': _out.Append(@"\b"); break;
                    case '\f': _out.Append(@"\f"); break;
                    case < ' ': _out.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                    case > '\x7f' when ensureAscii: _out.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                    default: _out.Append(c); break;
                }
            }

            _out.Append('"');
        }
    }
}
