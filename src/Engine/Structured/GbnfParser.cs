using System.Globalization;

namespace MambaServe.Engine.Structured;

/// <summary>
/// Reads a grammar in GBNF, the BNF dialect of llama.cpp's <c>grammar</c> field and of vLLM's
/// <c>structured_outputs.grammar</c> / <c>guided_grammar</c> (its xgrammar backend): rules <c>name ::= alternatives</c>,
/// alternatives split by <c>|</c>, sequences of string literals (<c>"..."</c>), character classes (<c>[a-z]</c>,
/// <c>[^"\\]</c>), <c>.</c> (any character), rule names and parenthesised groups, each optionally followed by
/// <c>*</c>, <c>+</c>, <c>?</c> or <c>{m}</c>, <c>{m,}</c>, <c>{m,n}</c>; <c>#</c> comments. A rule ends at its line's
/// end unless inside parentheses or continued by a line that starts with <c>|</c>. The output must match rule
/// <c>root</c>. Repetitions become rules of their own (<c>x*</c>: <c>r ::= x r | </c>), which the grammar runs with
/// tail calls, so a long repetition does not deepen its stacks.
/// </summary>
internal sealed class GbnfParser
{
    /// <summary>Most characters a grammar may have.</summary>
    public const int MaxLength = 65_536;

    /// <summary>Most elements (characters, classes, references) over all rules once repetitions are written out.</summary>
    public const int MaxElements = 100_000;

    /// <summary>The largest bound a <c>{m,n}</c> repetition may give.</summary>
    public const int MaxRepeat = 1_000;

    /// <summary>Parentheses nested at most (the parser descends once a level).</summary>
    public const int MaxNesting = 256;

    private readonly string _text;
    private readonly Dictionary<string, int> _ruleIds = new(StringComparer.Ordinal);
    private readonly List<string> _ruleNames = [];
    private readonly List<List<List<GbnfElement>>?> _rules = []; // null: referenced, not (yet) defined
    private readonly List<int> _firstUse = [];
    private int _pos;
    private int _elements;
    private int _nesting;

    private GbnfParser(string text) => _text = text;

    /// <exception cref="GrammarNotSupportedException">A syntax error, an undefined or left-recursive rule, no <c>root</c>.</exception>
    public static GbnfGrammar Parse(string text)
    {
        if (text.Length > MaxLength)
        {
            throw new GrammarNotSupportedException($"the grammar has {text.Length} characters, more than {MaxLength}");
        }

        var parser = new GbnfParser(text);
        parser.ParseRules();
        return parser.Build();
    }

    private void ParseRules()
    {
        SkipSpace(newlines: true);
        while (_pos < _text.Length)
        {
            int at = _pos;
            string name = ParseName();
            SkipSpace(newlines: false);
            Expect("::=");
            SkipSpace(newlines: true);
            int id = RuleId(name, at);
            if (_rules[id] is not null)
            {
                throw Error($"rule `{name}` is defined twice", at);
            }

            _rules[id] = ParseAlternatives(nested: false);
            if (_pos < _text.Length && _text[_pos] is not ('\n' or '\r'))
            {
                throw Error($"expected the end of the line after rule `{name}`, found `{_text[_pos]}`", _pos);
            }

            SkipSpace(newlines: true);
        }

        if (!_ruleIds.ContainsKey("root"))
        {
            throw new GrammarNotSupportedException("the grammar has no `root` rule");
        }

        for (int r = 0; r < _rules.Count; r++)
        {
            if (_rules[r] is null)
            {
                throw Error($"rule `{_ruleNames[r]}` is used but not defined", _firstUse[r]);
            }
        }
    }

    private List<List<GbnfElement>> ParseAlternatives(bool nested)
    {
        var alternatives = new List<List<GbnfElement>> { ParseSequence(nested) };
        while (true)
        {
            int save = _pos;
            SkipSpace(newlines: true);
            if (_pos < _text.Length && _text[_pos] == '|')
            {
                _pos++;
                SkipSpace(newlines: true);
                alternatives.Add(ParseSequence(nested));
                continue;
            }

            if (!nested)
            {
                _pos = save; // the rule's line ends here
            }

            return alternatives;
        }
    }

    private List<GbnfElement> ParseSequence(bool nested)
    {
        var sequence = new List<GbnfElement>();
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            int at = _pos;
            List<GbnfElement> item;
            if (c == '"')
            {
                _pos++;
                item = ParseLiteral(at);
            }
            else if (c == '[')
            {
                _pos++;
                item = [ParseClass(at)];
            }
            else if (c == '.')
            {
                _pos++;
                item = [GbnfElement.Class([(0, 0x10FFFF)], negated: false)];
            }
            else if (c == '(')
            {
                if (++_nesting > MaxNesting)
                {
                    throw Error($"groups nested more than {MaxNesting} deep", at);
                }

                _pos++;
                SkipSpace(newlines: true);
                var group = ParseAlternatives(nested: true);
                SkipSpace(newlines: true);
                Expect(")");
                _nesting--;
                item = [GbnfElement.Ref(NewRule(group, "group"))];
            }
            else if (IsNameChar(c))
            {
                string name = ParseName();
                if (LooksLikeRuleStart())
                {
                    _pos = at; // the next rule's name: this sequence ended at a line break
                    break;
                }

                item = [GbnfElement.Ref(RuleId(name, at))];
            }
            else
            {
                break;
            }

            SkipSpace(newlines: nested);
            item = ParsePostfix(item);
            sequence.AddRange(item);
            Count(item.Count, at);
            SkipSpace(newlines: nested);
        }

        return sequence;
    }

    /// <summary>After a name: whether <c>::=</c> follows (on this line), so the name begins a rule, not a reference.</summary>
    private bool LooksLikeRuleStart()
    {
        int p = _pos;
        while (p < _text.Length && _text[p] is ' ' or '\t')
        {
            p++;
        }

        return string.CompareOrdinal(_text, p, "::=", 0, 3) == 0;
    }

    private List<GbnfElement> ParsePostfix(List<GbnfElement> item)
    {
        if (_pos >= _text.Length)
        {
            return item;
        }

        int at = _pos;
        (int min, int max) = _text[_pos] switch
        {
            '*' => (0, -1),
            '+' => (1, -1),
            '?' => (0, 1),
            '{' => ParseBounds(),
            _ => (-2, -2),
        };
        if (min == -2)
        {
            return item;
        }

        if (_text[at] != '{')
        {
            _pos++;
        }

        if (_pos < _text.Length && _text[_pos] is '*' or '+' or '?' or '{')
        {
            throw Error($"`{_text[_pos]}` after a repetition: group the item first", _pos);
        }

        return Repeat(item, min, max, at);
    }

    private (int Min, int Max) ParseBounds()
    {
        int at = _pos++;
        int min = ParseNumber(at);
        int max = min;
        if (_pos < _text.Length && _text[_pos] == ',')
        {
            _pos++;
            max = _pos < _text.Length && char.IsAsciiDigit(_text[_pos]) ? ParseNumber(at) : -1;
        }

        Expect("}");
        if (max >= 0 && max < min)
        {
            throw Error($"repetition {{{min},{max}}} has its upper bound below its lower", at);
        }

        return (min, max);
    }

    private int ParseNumber(int at)
    {
        int start = _pos;
        while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
        {
            _pos++;
        }

        if (start == _pos || !int.TryParse(_text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n > MaxRepeat)
        {
            throw Error($"a repetition bound must be a whole number up to {MaxRepeat}", at);
        }

        return n;
    }

    /// <summary>
    /// <paramref name="item"/> repeated min to max times (max -1: no bound): the required copies in line, then an
    /// optional tail as a rule (<c>x*</c>: <c>r ::= x r |</c>; <c>x{0,3}</c>: <c>r ::= x (x (x)?)? |</c> nested).
    /// </summary>
    private List<GbnfElement> Repeat(List<GbnfElement> item, int min, int max, int at)
    {
        // One rule for the item, so that copies are references, not the item's elements again and again.
        var unit = item.Count == 1 ? item : [GbnfElement.Ref(NewRule([item], "repeat"))];
        var result = new List<GbnfElement>();
        for (int i = 0; i < min; i++)
        {
            result.AddRange(unit);
        }

        if (max < 0)
        {
            int star = ReserveRule("star");
            _rules[star] = [[.. unit, GbnfElement.Ref(star)], []];
            result.Add(GbnfElement.Ref(star));
        }
        else if (max > min)
        {
            int tail = -1;
            for (int i = 0; i < max - min; i++)
            {
                var body = new List<GbnfElement>(unit);
                if (tail >= 0)
                {
                    body.Add(GbnfElement.Ref(tail));
                }

                tail = NewRule([body, []], "optional");
            }

            result.Add(GbnfElement.Ref(tail));
        }

        Count(result.Count + Math.Max(max - min, 1) * (unit.Count + 1), at); // each optional level: the unit and a reference
        return result;
    }

    private List<GbnfElement> ParseLiteral(int at)
    {
        var elements = new List<GbnfElement>();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] is '\n' or '\r')
            {
                throw Error("unterminated string literal", at);
            }

            if (_text[_pos] == '"')
            {
                _pos++;
                return elements;
            }

            int c = ParseChar();
            elements.Add(GbnfElement.Class([(c, c)], negated: false));
        }
    }

    private GbnfElement ParseClass(int at)
    {
        bool negated = _pos < _text.Length && _text[_pos] == '^';
        if (negated)
        {
            _pos++;
        }

        var ranges = new List<(int, int)>();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] is '\n' or '\r')
            {
                throw Error("unterminated character class", at);
            }

            if (_text[_pos] == ']')
            {
                _pos++;
                return GbnfElement.Class(ranges, negated);
            }

            int lo = ParseChar(), hi = lo;
            if (_pos + 1 < _text.Length && _text[_pos] == '-' && _text[_pos + 1] != ']')
            {
                _pos++;
                hi = ParseChar();
                if (hi < lo)
                {
                    throw Error($"character range {Show(lo)}-{Show(hi)} is reversed", at);
                }
            }

            ranges.Add((lo, hi));
        }
    }

    /// <summary>One character of a literal or class: a code point, or an escape (\n \r \t \\ \" \[ \] \- \xHH \uHHHH \UHHHHHHHH).</summary>
    private int ParseChar()
    {
        int at = _pos;
        if (_text[_pos] != '\\')
        {
            int c = char.ConvertToUtf32(_text, _pos);
            _pos += char.IsSurrogatePair(_text, _pos) ? 2 : 1;
            return c;
        }

        if (++_pos >= _text.Length)
        {
            throw Error("a `\\` at the end of the grammar", at);
        }

        char e = _text[_pos++];
        return e switch
        {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            '\\' or '"' or '[' or ']' or '-' or '^' or '\'' => e,
            'x' => Hex(2, at),
            'u' => Hex(4, at),
            'U' => Hex(8, at),
            _ => throw Error($"unknown escape `\\{e}`", at),
        };
    }

    private int Hex(int digits, int at)
    {
        if (_pos + digits > _text.Length
            || !int.TryParse(_text.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value)
            || value > 0x10FFFF || value is >= 0xD800 and <= 0xDFFF)
        {
            throw Error($"escape needs {digits} hex digits of a Unicode scalar value", at);
        }

        _pos += digits;
        return value;
    }

    private string ParseName()
    {
        int start = _pos;
        while (_pos < _text.Length && IsNameChar(_text[_pos]))
        {
            _pos++;
        }

        if (start == _pos)
        {
            throw Error(_pos < _text.Length ? $"expected a rule name, found `{_text[_pos]}`" : "expected a rule name", _pos);
        }

        return _text[start.._pos];
    }

    private void Expect(string token)
    {
        if (string.CompareOrdinal(_text, _pos, token, 0, token.Length) != 0)
        {
            throw Error(_pos < _text.Length ? $"expected `{token}`, found `{_text[_pos]}`" : $"expected `{token}` at the end", _pos);
        }

        _pos += token.Length;
    }

    /// <summary>Spaces, tabs and comments; line breaks too where <paramref name="newlines"/>.</summary>
    private void SkipSpace(bool newlines)
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c is ' ' or '\t' || (newlines && c is '\n' or '\r'))
            {
                _pos++;
            }
            else if (c == '#')
            {
                while (_pos < _text.Length && _text[_pos] is not ('\n' or '\r'))
                {
                    _pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private int RuleId(string name, int at)
    {
        if (!_ruleIds.TryGetValue(name, out int id))
        {
            id = _rules.Count;
            _ruleIds[name] = id;
            _ruleNames.Add(name);
            _rules.Add(null);
            _firstUse.Add(at);
        }

        return id;
    }

    private int ReserveRule(string kind)
    {
        _ruleNames.Add($"({kind} {_rules.Count})");
        _rules.Add(null);
        _firstUse.Add(_pos);
        return _rules.Count - 1;
    }

    private int NewRule(List<List<GbnfElement>> alternatives, string kind)
    {
        int id = ReserveRule(kind);
        _rules[id] = alternatives;
        return id;
    }

    private void Count(int elements, int at)
    {
        _elements += elements;
        if (_elements > MaxElements)
        {
            throw Error($"the grammar grows past {MaxElements} elements once its repetitions are written out", at);
        }
    }

    private GbnfGrammar Build() => new(_ruleNames, [.. _rules.Select(r => r!)], _ruleIds["root"]);

    private GrammarNotSupportedException Error(string what, int at)
    {
        int line = 1, column = 1;
        for (int i = 0; i < at && i < _text.Length; i++)
        {
            (line, column) = _text[i] == '\n' ? (line + 1, 1) : (line, column + 1);
        }

        return new GrammarNotSupportedException($"{what} (line {line}, column {column})");
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    private static string Show(int c) => c is >= 0x20 and < 0x7F ? ((char)c).ToString() : $"\\u{c:X4}";
}

/// <summary>A grammar the engine cannot take: a syntax error or an unsupported construct, said with its place.</summary>
public sealed class GrammarNotSupportedException(string message) : Exception(message);
