namespace MambaServe.Engine.Structured;

/// <summary>
/// Where a byte stream stands in JSON (RFC 8259) as a pushdown automaton small enough to copy: the open containers
/// as a bit stack (1 = object), the lexical mode, and a counter or two. <see cref="Feed"/> takes one byte and says
/// whether JSON can continue with it; a rejected byte leaves the state unusable, so callers feed copies. A value type
/// with value equality, so a state is also the key of the token-mask cache (<see cref="TokenMaskCache"/>).
/// Strings are checked as UTF-8 (lead and continuation bytes in order); numbers by JSON's number grammar.
/// </summary>
public readonly record struct JsonGrammarState : IGrammarState<JsonGrammarState>
{
    /// <summary>Deepest nesting allowed (the stack is 64 bits; deeper output is refused, never silently cut).</summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// Consecutive whitespace bytes allowed between tokens: a guard of ours against a model that pads forever
    /// (pretty-printed JSON indents far less).
    /// </summary>
    public const int MaxWhitespaceRun = 24;

    private readonly ulong _stack;
    private readonly byte _depth;
    private readonly Mode _mode;
    private readonly byte _aux;     // literal: its index and position; hex digits or UTF-8 continuation bytes left
    private readonly byte _whitespace;
    private readonly bool _key;      // the string being read is an object key
    private readonly bool _objectRoot;

    private JsonGrammarState(ulong stack, byte depth, Mode mode, byte aux, byte whitespace, bool key, bool objectRoot)
    {
        _stack = stack;
        _depth = depth;
        _mode = mode;
        _aux = aux;
        _whitespace = whitespace;
        _key = key;
        _objectRoot = objectRoot;
    }

    /// <summary>The start of a document whose root must be an object (OpenAI's JSON mode), or any value.</summary>
    public static JsonGrammarState Start(bool objectRoot) => new(0, 0, Mode.Value, 0, 0, false, objectRoot);

    /// <summary>A whole document has been read: only the end of the output may follow.</summary>
    public bool IsComplete => _mode == Mode.Done || (_depth == 0 && _mode is Mode.NumZero or Mode.NumInt or Mode.NumFrac or Mode.NumExpDigits);

    /// <summary>The state after <paramref name="b"/>, or false when no JSON document continues with it.</summary>
    public bool Feed(byte b, out JsonGrammarState next)
    {
        next = this;
        return _mode switch
        {
            Mode.Value or Mode.ArrayFirst or Mode.ObjectFirst or Mode.Key or Mode.Colon or Mode.After => Structural(b, out next),
            Mode.String => InString(b, out next),
            Mode.Escape => Escape(b, out next),
            Mode.Hex => IsHex(b) && Set(out next, _aux == 1 ? Mode.String : Mode.Hex, (byte)(_aux - 1)),
            Mode.Utf8 => b is >= 0x80 and <= 0xBF && Set(out next, _aux == 1 ? Mode.String : Mode.Utf8, (byte)(_aux - 1)),
            Mode.Literal => InLiteral(b, out next),
            Mode.NumMinus => b == '0' ? Set(out next, Mode.NumZero) : IsDigit19(b) && Set(out next, Mode.NumInt),
            Mode.NumZero => b == '.' ? Set(out next, Mode.NumDot) : IsExp(b) ? Set(out next, Mode.NumExp) : EndNumber(b, out next),
            Mode.NumInt => IsDigit(b) ? Set(out next, Mode.NumInt) : b == '.' ? Set(out next, Mode.NumDot) : IsExp(b) ? Set(out next, Mode.NumExp) : EndNumber(b, out next),
            Mode.NumDot => IsDigit(b) && Set(out next, Mode.NumFrac),
            Mode.NumFrac => IsDigit(b) ? Set(out next, Mode.NumFrac) : IsExp(b) ? Set(out next, Mode.NumExp) : EndNumber(b, out next),
            Mode.NumExp => b is (byte)'+' or (byte)'-' ? Set(out next, Mode.NumExpSign) : IsDigit(b) && Set(out next, Mode.NumExpDigits),
            Mode.NumExpSign => IsDigit(b) && Set(out next, Mode.NumExpDigits),
            Mode.NumExpDigits => IsDigit(b) ? Set(out next, Mode.NumExpDigits) : EndNumber(b, out next),
            _ => false, // Done: nothing follows a complete document
        };
    }

    /// <summary>Feeds every byte; false as soon as one is refused.</summary>
    public bool Feed(ReadOnlySpan<byte> bytes, out JsonGrammarState next)
    {
        next = this;
        foreach (byte b in bytes)
        {
            if (!next.Feed(b, out next))
            {
                return false;
            }
        }

        return true;
    }

    private bool Structural(byte b, out JsonGrammarState next)
    {
        next = this;
        if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            if (_whitespace >= MaxWhitespaceRun)
            {
                return false;
            }

            next = new JsonGrammarState(_stack, _depth, _mode, _aux, (byte)(_whitespace + 1), _key, _objectRoot);
            return true;
        }

        bool inObject = _depth > 0 && (_stack >> (_depth - 1) & 1) == 1;
        switch (_mode)
        {
            case Mode.Colon:
                return b == ':' && Set(out next, Mode.Value);
            case Mode.Key:
                return b == '"' && Set(out next, Mode.String, 0, key: true);
            case Mode.ObjectFirst:
                return b == '"' ? Set(out next, Mode.String, 0, key: true) : b == '}' && Close(out next);
            case Mode.After:
                return b == ',' ? Set(out next, inObject ? Mode.Key : Mode.Value)
                    : b == (inObject ? '}' : ']') && Close(out next);
            case Mode.ArrayFirst when b == ']':
                return Close(out next);
        }

        // A value starts here (Mode.Value, or the first element of an array).
        if (_depth == 0 && _objectRoot && b != '{')
        {
            return false;
        }

        return b switch
        {
            (byte)'{' => Open(isObject: true, out next),
            (byte)'[' => Open(isObject: false, out next),
            (byte)'"' => Set(out next, Mode.String, 0, key: false),
            (byte)'-' => Set(out next, Mode.NumMinus),
            (byte)'0' => Set(out next, Mode.NumZero),
            (byte)'t' => Set(out next, Mode.Literal, Literal(0, 1)),
            (byte)'f' => Set(out next, Mode.Literal, Literal(1, 1)),
            (byte)'n' => Set(out next, Mode.Literal, Literal(2, 1)),
            _ => IsDigit19(b) && Set(out next, Mode.NumInt),
        };
    }

    private bool InString(byte b, out JsonGrammarState next)
    {
        next = this;
        return b switch
        {
            (byte)'"' => _key ? Set(out next, Mode.Colon) : EndValue(out next),
            (byte)'\\' => Set(out next, Mode.Escape),
            < 0x20 => false,
            < 0x80 => true,
            >= 0xC2 and <= 0xDF => Set(out next, Mode.Utf8, 1),
            >= 0xE0 and <= 0xEF => Set(out next, Mode.Utf8, 2),
            >= 0xF0 and <= 0xF4 => Set(out next, Mode.Utf8, 3),
            _ => false, // a continuation byte without its lead, or a byte UTF-8 never uses
        };
    }

    private bool Escape(byte b, out JsonGrammarState next)
    {
        next = this;
        return b switch
        {
            (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t' => Set(out next, Mode.String),
            (byte)'u' => Set(out next, Mode.Hex, 4),
            _ => false,
        };
    }

    private static readonly byte[][] s_literals = ["true"u8.ToArray(), "false"u8.ToArray(), "null"u8.ToArray()];

    private static byte Literal(int which, int position) => (byte)(which << 4 | position);

    private bool InLiteral(byte b, out JsonGrammarState next)
    {
        next = this;
        int which = _aux >> 4, position = _aux & 0xF;
        var literal = s_literals[which];
        if (b != literal[position])
        {
            return false;
        }

        return position + 1 == literal.Length ? EndValue(out next) : Set(out next, Mode.Literal, Literal(which, position + 1));
    }

    /// <summary>A byte that ends a number: the number is a whole value, and the byte is read after it.</summary>
    private bool EndNumber(byte b, out JsonGrammarState next) => EndValue(out var ended) ? ended.Feed(b, out next) : Fail(out next);

    private bool EndValue(out JsonGrammarState next) => Set(out next, _depth == 0 ? Mode.Done : Mode.After);

    private bool Open(bool isObject, out JsonGrammarState next)
    {
        if (_depth >= MaxDepth)
        {
            next = this;
            return false;
        }

        ulong stack = isObject ? _stack | 1UL << _depth : _stack & ~(1UL << _depth);
        next = new JsonGrammarState(stack, (byte)(_depth + 1), isObject ? Mode.ObjectFirst : Mode.ArrayFirst, 0, 0, false, _objectRoot);
        return true;
    }

    private bool Close(out JsonGrammarState next)
    {
        var popped = new JsonGrammarState(_stack & ~(1UL << (_depth - 1)), (byte)(_depth - 1), _mode, 0, 0, false, _objectRoot);
        return popped.EndValue(out next);
    }

    private bool Set(out JsonGrammarState next, Mode mode, byte aux = 0, bool? key = null)
    {
        next = new JsonGrammarState(_stack, _depth, mode, aux, 0, key ?? _key, _objectRoot);
        return true;
    }

    private bool Fail(out JsonGrammarState next)
    {
        next = this;
        return false;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static bool IsDigit19(byte b) => b is >= (byte)'1' and <= (byte)'9';

    private static bool IsExp(byte b) => b is (byte)'e' or (byte)'E';

    private static bool IsHex(byte b) => IsDigit(b) || b is >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private enum Mode : byte
    {
        Value,
        ArrayFirst,
        ObjectFirst,
        Key,
        Colon,
        After,
        String,
        Escape,
        Hex,
        Utf8,
        Literal,
        NumMinus,
        NumZero,
        NumInt,
        NumDot,
        NumFrac,
        NumExp,
        NumExpSign,
        NumExpDigits,
        Done,
    }
}
