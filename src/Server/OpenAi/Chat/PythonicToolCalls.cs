using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// The pythonic tool-call format (vLLM's <c>pythonic</c> parser; Llama 3.2 and 4, ToolACE): the whole answer is a
/// Python list of calls with keyword arguments, <c>[get_weather(city="Paris", days=3), get_time(zone='CET')]</c>, inside
/// <c>&lt;|python_start|&gt;</c> ... <c>&lt;|python_end|&gt;</c> when the tokenizer writes Llama 4's special tokens out.
/// Arguments are literals (strings in either quote, numbers, True / False / None, lists, dicts), each call's keyword
/// arguments become its JSON arguments object. Anything else (text around the list, a positional or repeated argument,
/// an expression, a cut list) leaves the whole answer content, as vLLM does when the list does not parse.
/// </summary>
public static class PythonicToolCalls
{
    public const string Start = "<|python_start|>";
    public const string End = "<|python_end|>";

    private static readonly JsonSerializerOptions s_arguments = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The calls of a whole answer (its content null), or none and the text as content.</summary>
    public static (string? Content, IReadOnlyList<ChatFunctionCall> Calls) Parse(string text)
    {
        var list = text.AsSpan().Trim();
        if (list.StartsWith(Start, StringComparison.Ordinal))
        {
            list = list[Start.Length..];
            list = (list.EndsWith(End, StringComparison.Ordinal) ? list[..^End.Length] : list).Trim();
        }

        try
        {
            var reader = new Reader(list.ToString());
            var calls = reader.Calls();
            return calls.Count > 0 ? (null, calls) : (text, []);
        }
        catch (FormatException)
        {
            return (text, []);
        }
    }

    /// <summary>Where a stream holds the answer back: all of it while it may still be a list of calls, none once it is text.</summary>
    public static int HeldFrom(string text) => CallsFirstAnswer.HeldFrom(text, '[', Start);

    /// <summary>A recursive-descent reader of the literal subset; every mismatch is a <see cref="FormatException"/>.</summary>
    private sealed class Reader(string text)
    {
        // Lists and dicts nest by recursion: a bound keeps a model's run of brackets from the stack's end (which ends
        // the process) and within what the JSON writer takes (64 levels).
        private const int MaxDepth = 32;

        private int _at;
        private int _depth;

        public List<ChatFunctionCall> Calls()
        {
            var calls = new List<ChatFunctionCall>();
            Expect('[');
            foreach (var _ in Items(']'))
            {
                calls.Add(Call());
            }

            SkipBlanks();
            if (_at != text.Length)
            {
                throw new FormatException("text after the list of calls");
            }

            return calls;
        }

        private ChatFunctionCall Call()
        {
            string name = Identifier();
            Expect('(');
            var arguments = new JsonObject();
            foreach (var _ in Items(')'))
            {
                string key = Identifier();
                Expect('=');
                if (arguments.ContainsKey(key))
                {
                    throw new FormatException($"argument {key} repeated");
                }

                arguments[key] = Value();
            }

            return new ChatFunctionCall(name, arguments.ToJsonString(s_arguments));
        }

        private JsonNode? Value()
        {
            if (_depth >= MaxDepth)
            {
                throw new FormatException($"arguments nested more than {MaxDepth} deep");
            }

            _depth++;
            try
            {
                return Literal();
            }
            finally
            {
                _depth--;
            }
        }

        private JsonNode? Literal()
        {
            SkipBlanks();
            char c = Peek();
            switch (c)
            {
                case '\'' or '"':
                    return JsonValue.Create(String());
                case '[':
                    _at++;
                    var list = new JsonArray();
                    foreach (var _ in Items(']'))
                    {
                        list.Add(Value());
                    }

                    return list;
                case '{':
                    _at++;
                    var dict = new JsonObject();
                    foreach (var _ in Items('}'))
                    {
                        SkipBlanks();
                        // JSON keys are strings: a number key is written as its text, as Python's json.dumps writes it.
                        string key = Peek() is '\'' or '"' ? String() : Number().ToJsonString();
                        Expect(':');
                        dict[key] = Value();
                    }

                    return dict;
                case '-' or '+' or '.' or (>= '0' and <= '9'):
                    return Number();
                default:
                    return Identifier() switch
                    {
                        "True" => JsonValue.Create(true),
                        "False" => JsonValue.Create(false),
                        "None" => null,
                        var other => throw new FormatException($"{other} is not a literal"),
                    };
            }
        }

        /// <summary>
        /// Walks the items of a bracketed sequence whose opening is read, up to <paramref name="close"/>: yields before
        /// each item (the caller reads it), takes the commas between them and one after the last, as Python allows.
        /// </summary>
        private IEnumerable<int> Items(char close)
        {
            for (int i = 0; ; i++)
            {
                SkipBlanks();
                if (Peek() == close)
                {
                    _at++;
                    yield break;
                }

                if (i > 0)
                {
                    Expect(',');
                    SkipBlanks();
                    if (Peek() == close)
                    {
                        _at++;
                        yield break;
                    }
                }

                yield return i;
            }
        }

        private string Identifier()
        {
            SkipBlanks();
            int from = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] == '_') && (_at > from || !char.IsAsciiDigit(text[_at])))
            {
                _at++;
            }

            return _at > from ? text[from.._at] : throw new FormatException("a name was expected");
        }

        private JsonValue Number()
        {
            int from = _at;
            while (_at < text.Length && (char.IsAsciiDigit(text[_at]) || text[_at] is '-' or '+' or '.' or 'e' or 'E' or '_'))
            {
                _at++;
            }

            string literal = text[from.._at].Replace("_", "", StringComparison.Ordinal);
            if (long.TryParse(literal, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long whole))
            {
                return JsonValue.Create(whole);
            }

            return double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out double real) && double.IsFinite(real)
                ? JsonValue.Create(real)
                : throw new FormatException($"{literal} is not a number");
        }

        private string String()
        {
            char quote = text[_at++];
            var value = new StringBuilder();
            while (true)
            {
                char c = _at < text.Length ? text[_at++] : throw new FormatException("a string is not closed");
                if (c == quote)
                {
                    return value.ToString();
                }

                if (c != '\\')
                {
                    value.Append(c);
                    continue;
                }

                char escaped = _at < text.Length ? text[_at++] : throw new FormatException("a string is not closed");
                value.Append(escaped switch
                {
                    'n' => "\n",
                    't' => "\t",
                    'r' => "\r",
                    '0' => "\0",
                    'x' => Code(2),
                    'u' => Code(4),
                    '\\' or '\'' or '"' => escaped.ToString(),
                    _ => "\\" + escaped, // Python keeps an unknown escape as written
                });
            }
        }

        private string Code(int digits)
        {
            if (_at + digits > text.Length || !int.TryParse(text.AsSpan(_at, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
            {
                throw new FormatException("a bad character escape");
            }

            _at += digits;
            return ((char)code).ToString();
        }

        private void Expect(char c)
        {
            SkipBlanks();
            if (Peek() != c)
            {
                throw new FormatException($"'{c}' was expected");
            }

            _at++;
        }

        private char Peek() => _at < text.Length ? text[_at] : throw new FormatException("the list is not closed");

        private void SkipBlanks()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at]))
            {
                _at++;
            }
        }
    }
}
