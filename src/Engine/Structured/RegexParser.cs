using System.Globalization;

namespace MambaServe.Engine.Structured;

/// <summary>
/// Parses the regular expressions vLLM's regex outputs take (Python's syntax, the part both Python and .NET read the
/// same): literals, <c>.</c> (any character but a newline), classes <c>[a-z_]</c> / <c>[^...]</c>, <c>\d \w \s</c>
/// and their negations, <c>\n \t \r \f \v \xHH \uHHHH</c>, escaped punctuation, groups <c>( )</c>, <c>(?: )</c>
/// and <c>(?P&lt;name&gt; )</c>, alternation, and the quantifiers <c>* + ? {n} {n,} {n,m}</c> (greedy or lazy: the
/// grammar has no preference). A leading <c>^</c> and a trailing <c>$</c> are accepted (the whole output is
/// matched anyway). Anything else (backreferences, lookaround, <c>\b</c>, possessive quantifiers, inline flags,
/// Unicode properties) throws <see cref="RegexNotSupportedException"/> naming the place.
/// </summary>
public static class RegexParser
{
    /// <summary>Longest pattern taken (characters).</summary>
    public const int MaxLength = 4096;

    /// <summary>Largest repetition count <c>{n,m}</c> may give.</summary>
    public const int MaxRepeat = 1000;

    public static RegexProgram Parse(string pattern)
    {
        if (pattern.Length > MaxLength)
        {
            throw new RegexNotSupportedException($"the pattern is longer than {MaxLength} characters");
        }

        var reader = new Reader(pattern);
        var tree = reader.Whole();
        var builder = new Builder();
        var (start, end) = builder.Fragment(tree);
        int accept = builder.NewState();
        builder.States[end].Empty.Add(accept);
        return new RegexProgram(builder.States, start, accept);
    }

    private abstract record Node;

    private sealed record Chars(CharClass Class) : Node;

    private sealed record Sequence(List<Node> Items) : Node;

    private sealed record Either(List<Node> Options) : Node;

    private sealed record Repeat(Node Item, int Min, int Max) : Node; // Max -1: unbounded

    private sealed class Reader(string pattern)
    {
        private int _at;

        public Node Whole()
        {
            if (Peek('^'))
            {
                _at++;
            }

            var node = Alternation(topLevel: true);
            if (_at < pattern.Length)
            {
                throw Error(pattern[_at] == ')' ? "an unmatched `)`" : $"`{pattern[_at]}`");
            }

            return node;
        }

        private Node Alternation(bool topLevel)
        {
            var options = new List<Node> { Concatenation(topLevel) };
            while (Peek('|'))
            {
                _at++;
                options.Add(Concatenation(topLevel));
            }

            return options.Count == 1 ? options[0] : new Either(options);
        }

        private Node Concatenation(bool topLevel)
        {
            var items = new List<Node>();
            while (_at < pattern.Length && pattern[_at] is not ('|' or ')'))
            {
                if (pattern[_at] == '$' && topLevel && _at == pattern.Length - 1)
                {
                    _at++; // the end of the output: matched whole anyway
                    break;
                }

                items.Add(Quantified(Atom()));
            }

            return items.Count == 1 ? items[0] : new Sequence(items);
        }

        private Node Quantified(Node atom)
        {
            if (_at >= pattern.Length)
            {
                return atom;
            }

            (int Min, int Max, int End)? quantifier = pattern[_at] switch
            {
                '*' => (0, -1, _at + 1),
                '+' => (1, -1, _at + 1),
                '?' => (0, 1, _at + 1),
                '{' => Counted(_at),
                _ => null,
            };
            if (quantifier is not { } q)
            {
                return atom;
            }

            _at = q.End;
            if (Peek('?'))
            {
                _at++; // lazy: the same language
            }
            else if (Peek('+'))
            {
                throw Error("a possessive quantifier");
            }

            if (_at < pattern.Length && (pattern[_at] is '*' or '+' || Counted(_at) is not null))
            {
                throw Error("a quantifier after a quantifier");
            }

            return new Repeat(atom, q.Min, q.Max);
        }

        /// <summary>A <c>{n}</c>, <c>{n,}</c> or <c>{n,m}</c> at <paramref name="at"/>: its counts and the position after it; null for a literal brace.</summary>
        private (int Min, int Max, int End)? Counted(int at)
        {
            if (pattern[at] != '{' || pattern.IndexOf('}', at) is var close && close < 0)
            {
                return null;
            }

            var body = pattern[(at + 1)..close].Split(',');
            if (body.Length > 2 || !int.TryParse(body[0], NumberStyles.None, CultureInfo.InvariantCulture, out int min))
            {
                return null;
            }

            int max = min;
            if (body.Length == 2)
            {
                if (body[1].Length == 0)
                {
                    max = -1;
                }
                else if (!int.TryParse(body[1], NumberStyles.None, CultureInfo.InvariantCulture, out max))
                {
                    return null;
                }
            }

            if (min > MaxRepeat || max > MaxRepeat || (max >= 0 && max < min))
            {
                throw Error($"the repetition {{{pattern[(at + 1)..close]}}} (at most {MaxRepeat}, the minimum first)", at);
            }

            return (min, max, close + 1);
        }

        private Node Atom()
        {
            char c = pattern[_at++];
            switch (c)
            {
                case '(':
                    return Group();
                case '[':
                    return new Chars(Class());
                case '.':
                    return new Chars(new CharClass([('\n', '\n')], negated: true));
                case '\\':
                    return new Chars(Escape(inClass: false));
                case '*' or '+' or '?':
                    throw Error($"`{c}` with nothing to repeat", _at - 1);
                case '^' or '$':
                    throw Error($"`{c}` inside the pattern (only a leading ^ and a trailing $ are taken)", _at - 1);
                default:
                    return Literal(char.IsHighSurrogate(c) && _at < pattern.Length ? char.ConvertToUtf32(c, pattern[_at++]) : c);
            }
        }

        private Node Group()
        {
            if (Peek('?'))
            {
                if (pattern.AsSpan(_at).StartsWith("?:"))
                {
                    _at += 2;
                }
                else if (pattern.AsSpan(_at).StartsWith("?P<") || (pattern.AsSpan(_at).StartsWith("?<") && !pattern.AsSpan(_at).StartsWith("?<=") && !pattern.AsSpan(_at).StartsWith("?<!")))
                {
                    int close = pattern.IndexOf('>', _at);
                    _at = close >= 0 ? close + 1 : throw Error("an unclosed group name");
                }
                else
                {
                    throw Error("`(?` other than a non-capturing or named group (lookaround, flags)");
                }
            }

            var inner = Alternation(topLevel: false);
            if (!Peek(')'))
            {
                throw Error("an unclosed `(`");
            }

            _at++;
            return inner;
        }

        private CharClass Class()
        {
            bool negated = Peek('^');
            if (negated)
            {
                _at++;
            }

            var ranges = new List<(int, int)>();
            bool first = true;
            while (_at < pattern.Length && (pattern[_at] != ']' || first))
            {
                first = false;
                var item = ClassItem();
                if (item.Single is not { } lo)
                {
                    ranges.AddRange(item.Ranges); // \d, \W, ... inside the brackets
                    continue;
                }

                if (Peek('-') && _at + 1 < pattern.Length && pattern[_at + 1] != ']')
                {
                    _at++;
                    int hi = ClassItem().Single ?? throw Error("a class as the end of a range");
                    if (hi < lo)
                    {
                        throw Error("a range whose end comes before its start");
                    }

                    ranges.Add((lo, hi));
                }
                else
                {
                    ranges.Add((lo, lo));
                }
            }

            if (!Peek(']'))
            {
                throw Error("an unclosed `[`");
            }

            _at++;
            return new CharClass(ranges, negated);
        }

        /// <summary>One character of a bracket class (or an escaped class such as \d).</summary>
        private CharClass ClassItem()
        {
            char c = pattern[_at++];
            return c == '\\' ? Escape(inClass: true) : One(char.IsHighSurrogate(c) && _at < pattern.Length ? char.ConvertToUtf32(c, pattern[_at++]) : c);
        }

        private CharClass Escape(bool inClass)
        {
            if (_at >= pattern.Length)
            {
                throw Error("a trailing backslash");
            }

            char c = pattern[_at++];
            return c switch
            {
                'd' => new CharClass([('0', '9')], false),
                'D' => new CharClass([('0', '9')], true),
                'w' => new CharClass(s_word, false),
                'W' => new CharClass(s_word, true),
                's' => new CharClass(s_space, false),
                'S' => new CharClass(s_space, true),
                'n' => One('\n'),
                't' => One('\t'),
                'r' => One('\r'),
                'f' => One('\f'),
                'v' => One('\v'),
                'x' => One(Hex(2)),
                'u' => One(Hex(4)),
                'b' when inClass => One('\b'),
                _ when char.IsAsciiLetterOrDigit(c) => throw Error($"`\\{c}` (backreferences, anchors and Unicode properties are not taken)", _at - 2),
                _ => One(c),
            };
        }

        private int Hex(int digits)
        {
            if (_at + digits > pattern.Length || !int.TryParse(pattern.AsSpan(_at, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value))
            {
                throw Error($"an escape without {digits} hex digits");
            }

            _at += digits;
            return value;
        }

        private static readonly (int, int)[] s_word = [('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];

        private static readonly (int, int)[] s_space = [('\t', '\r'), (' ', ' ')];

        private static CharClass One(int codePoint) => new([(codePoint, codePoint)], false);

        private static Chars Literal(int codePoint) => new(One(codePoint));

        private bool Peek(char c) => _at < pattern.Length && pattern[_at] == c;

        private RegexNotSupportedException Error(string what, int? at = null) =>
            new($"{what} at position {at ?? _at} is not supported");
    }

    /// <summary>Thompson's construction: each node a fragment (start, end) of NFA states, repetitions copied.</summary>
    private sealed class Builder
    {
        public List<RegexProgram.NfaState> States { get; } = [];

        public int NewState(CharClass? cls = null)
        {
            if (States.Count >= RegexProgram.MaxStates)
            {
                throw new RegexNotSupportedException($"the pattern needs more than {RegexProgram.MaxStates} states");
            }

            States.Add(new RegexProgram.NfaState { Class = cls });
            return States.Count - 1;
        }

        public (int Start, int End) Fragment(Node node)
        {
            switch (node)
            {
                case Chars chars:
                {
                    int s = NewState(chars.Class), e = NewState();
                    States[s].Next = e;
                    return (s, e);
                }

                case Sequence sequence:
                {
                    int s = NewState(), e = s;
                    foreach (var item in sequence.Items)
                    {
                        var (fs, fe) = Fragment(item);
                        States[e].Empty.Add(fs);
                        e = fe;
                    }

                    return (s, e);
                }

                case Either either:
                {
                    int s = NewState(), e = NewState();
                    foreach (var option in either.Options)
                    {
                        var (fs, fe) = Fragment(option);
                        States[s].Empty.Add(fs);
                        States[fe].Empty.Add(e);
                    }

                    return (s, e);
                }

                case Repeat repeat:
                    return Repeated(repeat);

                default:
                    throw new InvalidOperationException(node.GetType().Name);
            }
        }

        private (int, int) Repeated(Repeat repeat)
        {
            int s = NewState(), e = s;
            for (int i = 0; i < repeat.Min; i++)
            {
                var (fs, fe) = Fragment(repeat.Item);
                States[e].Empty.Add(fs);
                e = fe;
            }

            if (repeat.Max < 0)
            {
                // Any number more: a loop back to the item's start, or out.
                var (fs, fe) = Fragment(repeat.Item);
                int end = NewState();
                States[e].Empty.Add(fs);
                States[e].Empty.Add(end);
                States[fe].Empty.Add(fs);
                States[fe].Empty.Add(end);
                return (s, end);
            }

            int last = NewState();
            for (int i = repeat.Min; i < repeat.Max; i++)
            {
                // Each optional copy may be skipped to the end.
                var (fs, fe) = Fragment(repeat.Item);
                States[e].Empty.Add(fs);
                States[e].Empty.Add(last);
                e = fe;
            }

            States[e].Empty.Add(last);
            return (s, last);
        }
    }
}

/// <summary>A pattern the regex grammar does not take; the message says what and where.</summary>
public sealed class RegexNotSupportedException(string message) : Exception(message);
