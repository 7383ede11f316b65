namespace MambaServe.Engine.Structured;

/// <summary>
/// Where a byte stream stands in a JSON document (RFC 8259) that must follow a compiled schema
/// (<see cref="SchemaNode"/>): a pushdown automaton whose stack holds the open objects and arrays with their schema,
/// and whose lexical mode reads strings (as UTF-8), numbers (by JSON's grammar; whole numbers only where the schema
/// says integer), literals, and keys or enum values as choices among their JSON texts. <see cref="Feed(byte, out
/// JsonSchemaState)"/> takes one byte and says whether the document can continue with it. JSON mode is the schema
/// <c>{"type": "object"}</c>. A value type with value equality (the stack compares by content, the nodes by
/// reference), so a state is also the key of its token mask (<see cref="StructuredVocabulary"/>).
/// </summary>
public readonly partial record struct JsonSchemaState : IGrammarState<JsonSchemaState>
{
    /// <summary>Deepest nesting allowed: deeper output is refused, never silently cut.</summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// Consecutive whitespace bytes allowed between tokens: a guard of ours against a model that pads forever (the
    /// demo model, greedy, would write nothing but spaces; vLLM has disable_any_whitespace for the same reason). A
    /// newline and six spaces of indentation still fit.
    /// </summary>
    public const int MaxWhitespaceRun = 8;

    private static readonly byte[][] s_literals = ["true"u8.ToArray(), "false"u8.ToArray(), "null"u8.ToArray()];

    private readonly Frame? _frames;
    private readonly Mode _mode;
    private readonly byte _aux;       // literal: which and how far; hex digits or UTF-8 continuation bytes left
    private readonly byte _whitespace;
    private readonly bool _integer;   // the number being read must be whole
    private readonly SchemaNode? _node; // Value, Colon: the schema of the value to come
    private readonly ChoiceGrammarState _choice; // Choice, KeyChoice: the enum value or key being read
    private readonly RegexGrammarState _text;    // PatternString, PatternEscape, PatternHex: the string's characters against its pattern
    private readonly int _unit;                  // PatternHex: the \u escape's digits so far
    private readonly long _magnitude;            // a bounded integer's digits so far (its sign in _aux)

    private JsonSchemaState(
        Frame? frames, Mode mode, SchemaNode? node, byte aux = 0, byte whitespace = 0, bool integer = false, ChoiceGrammarState choice = default,
        RegexGrammarState text = default, int unit = 0, long magnitude = 0)
    {
        _magnitude = magnitude;
        _frames = frames;
        _mode = mode;
        _node = node;
        _aux = aux;
        _whitespace = whitespace;
        _integer = integer;
        _choice = choice;
        _text = text;
        _unit = unit;
    }

    /// <summary>The start of a document that <paramref name="schema"/> describes.</summary>
    public static JsonSchemaState Start(SchemaNode schema) => new(null, Mode.Value, schema);

    /// <summary>The start of a document whose root is any JSON object (OpenAI's JSON mode).</summary>
    public static JsonSchemaState StartObject() => Start(s_anyObject);

    private static readonly SchemaNode s_anyObject = new() { Object = ObjectShape.Free };

    /// <summary>A whole document has been read: only the end of the output may follow.</summary>
    public bool IsComplete => _mode == Mode.Done
        || (_frames is null && (_mode is Mode.NumZero or Mode.NumInt or Mode.NumFrac or Mode.NumExpDigits && BoundedIntegerEnds() || (_mode == Mode.Choice && _choice.IsComplete)));

    private int Depth => _frames?.Depth ?? 0;

    public bool Feed(ReadOnlySpan<byte> bytes, out JsonSchemaState next) => GrammarStates.FeedEach(this, bytes, out next);

    /// <summary>The state after <paramref name="b"/>, or false when no document of the schema continues with it.</summary>
    public bool Feed(byte b, out JsonSchemaState next)
    {
        next = this;
        return _mode switch
        {
            Mode.Value or Mode.ArrayFirst or Mode.ObjectFirst or Mode.ObjectKey or Mode.Colon or Mode.After => Structural(b, out next),
            Mode.String or Mode.Key => InString(b, out next),
            Mode.Escape or Mode.KeyEscape => Escape(b, out next),
            Mode.Hex or Mode.KeyHex => IsHex(b) && Counted(out next, _mode),
            Mode.Utf8 or Mode.KeyUtf8 => ContinuationAllowed(b) && Counted(out next, _mode),
            Mode.Literal => InLiteral(b, out next),
            Mode.Choice => InEnum(b, out next),
            Mode.PatternString => InPatternString(b, out next),
            Mode.PatternEscape => PatternEscape(b, out next),
            Mode.PatternHex => PatternHex(b, out next),
            Mode.KeyChoice => InKey(b, out next),
            Mode.NumMinus or Mode.NumZero or Mode.NumInt when IsBoundedInteger => BoundedDigit(b, out next),
            Mode.NumMinus => b == '0' ? To(out next, Mode.NumZero) : IsDigit19(b) && To(out next, Mode.NumInt),
            Mode.NumZero => Fraction(b) ? To(out next, Mode.NumDot) : Exponent(b) ? To(out next, Mode.NumExp) : EndNumber(b, out next),
            Mode.NumInt => IsDigit(b) ? To(out next, Mode.NumInt) : Fraction(b) ? To(out next, Mode.NumDot) : Exponent(b) ? To(out next, Mode.NumExp) : EndNumber(b, out next),
            Mode.NumDot => IsDigit(b) && To(out next, Mode.NumFrac),
            Mode.NumFrac => IsDigit(b) ? To(out next, Mode.NumFrac) : Exponent(b) ? To(out next, Mode.NumExp) : EndNumber(b, out next),
            Mode.NumExp => b is (byte)'+' or (byte)'-' ? To(out next, Mode.NumExpSign) : IsDigit(b) && To(out next, Mode.NumExpDigits),
            Mode.NumExpSign => IsDigit(b) && To(out next, Mode.NumExpDigits),
            Mode.NumExpDigits => IsDigit(b) ? To(out next, Mode.NumExpDigits) : EndNumber(b, out next),
            _ => false, // Done: nothing follows a whole document
        };
    }

    private bool Structural(byte b, out JsonSchemaState next)
    {
        next = this;
        if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            if (_whitespace >= MaxWhitespaceRun)
            {
                return false;
            }

            next = new JsonSchemaState(_frames, _mode, _node, _aux, (byte)(_whitespace + 1), _integer, _choice);
            return true;
        }

        var frame = _frames;
        switch (_mode)
        {
            case Mode.Colon:
                return b == ':' && To(out next, Mode.Value, _node);
            case Mode.ObjectFirst or Mode.ObjectKey when b == '"':
                return StartKey(frame!, out next);
            case Mode.ObjectFirst when b == '}':
                return !frame!.Shape!.RequiredFrom(frame.Next) && Close(out next);
            case Mode.ObjectFirst or Mode.ObjectKey:
                return false;
            case Mode.After when frame!.Shape is { } shape:
                return b == ',' ? (shape.IsFree || frame.Next < shape.Properties.Count) && To(out next, Mode.ObjectKey)
                    : b == '}' && !shape.RequiredFrom(frame.Next) && Close(out next);
            case Mode.After:
            {
                // An array's frame counts its items (Next): maxItems bounds the commas, minItems the closing bracket.
                var array = frame!.Array!;
                if (b == ',')
                {
                    next = new JsonSchemaState(frame with { Next = frame.Next + 1 }, Mode.Value, array.ArrayItems);
                    return array.MaxItems is not { } max || frame.Next < max;
                }

                return b == ']' && frame.Next >= array.MinItems && Close(out next);
            }

            case Mode.ArrayFirst when b == ']':
                return frame!.Array!.MinItems == 0 && Close(out next);
            case Mode.ArrayFirst:
                return frame!.Array!.MaxItems is not 0
                    && new JsonSchemaState(frame with { Next = 1 }, Mode.Value, frame.Array.ArrayItems).StartValue(b, out next);
        }

        return StartValue(b, out next);
    }

    /// <summary>
    /// The first byte of a value of <see cref="_node"/>: one of its enum / const texts when one begins with it, else
    /// the kind of value it opens (the compiler made sure no byte could open both).
    /// </summary>
    private bool StartValue(byte b, out JsonSchemaState next)
    {
        next = this;
        var node = _node!;
        if (node.Literals is { } literals && ChoiceGrammarState.Start(literals).Feed([b], out var choice))
        {
            return To(out next, Mode.Choice, choice: choice);
        }

        return b switch
        {
            (byte)'{' => node.Object is { } shape && Open(new Frame(_frames, shape, null, 0, Depth + 1), Mode.ObjectFirst, out next),
            (byte)'[' => node.ArrayItems is not null && Open(new Frame(_frames, null, node, 0, Depth + 1), Mode.ArrayFirst, out next),
            (byte)'"' when node.StringPattern is { } pattern => node.AllowsString && PatternText(RegexGrammarState.Start(pattern), out next),
            (byte)'"' => node.AllowsString && To(out next, Mode.String),
            (byte)'-' or (>= (byte)'0' and <= (byte)'9') when node.IsBoundedInteger => StartBoundedInteger(node, b, out next),
            (byte)'-' => node.AllowsInteger && To(out next, Mode.NumMinus, integer: !node.AllowsNumber),
            (byte)'0' => node.AllowsInteger && To(out next, Mode.NumZero, integer: !node.AllowsNumber),
            >= (byte)'1' and <= (byte)'9' => node.AllowsInteger && To(out next, Mode.NumInt, integer: !node.AllowsNumber),
            (byte)'t' => node.AllowsBoolean && To(out next, Mode.Literal, aux: Literal(0, 1)),
            (byte)'f' => node.AllowsBoolean && To(out next, Mode.Literal, aux: Literal(1, 1)),
            (byte)'n' => node.AllowsNull && To(out next, Mode.Literal, aux: Literal(2, 1)),
            _ => false,
        };
    }

    /// <summary>A key's opening quote: a free object's key is any string; a declared one is one of the keys that may come next.</summary>
    private bool StartKey(Frame frame, out JsonSchemaState next)
    {
        next = this;
        var shape = frame.Shape!;
        if (shape.IsFree)
        {
            return To(out next, Mode.Key);
        }

        return ChoiceGrammarState.Start(shape.KeysFrom(frame.Next)).Feed("\""u8, out var choice) && To(out next, Mode.KeyChoice, choice: choice);
    }

    private bool InString(byte b, out JsonSchemaState next)
    {
        next = this;
        bool key = _mode == Mode.Key;
        return b switch
        {
            // A free object's key ends: its value follows the object's additionalProperties schema, else anything.
            (byte)'"' => key ? To(out next, Mode.Colon, _frames!.Shape!.FreeValues ?? SchemaNode.Any) : EndValue(out next),
            (byte)'\\' => To(out next, key ? Mode.KeyEscape : Mode.Escape),
            < 0x20 => false,
            < 0x80 => true,
            >= 0xC2 and <= 0xDF => To(out next, key ? Mode.KeyUtf8 : Mode.Utf8, aux: 1),
            // The leads whose first continuation byte is narrower (UTF-8's well-formed table): its range in the high bits.
            0xE0 => To(out next, key ? Mode.KeyUtf8 : Mode.Utf8, aux: 2 | 1 << 4),
            0xED => To(out next, key ? Mode.KeyUtf8 : Mode.Utf8, aux: 2 | 2 << 4),
            >= 0xE1 and <= 0xEF => To(out next, key ? Mode.KeyUtf8 : Mode.Utf8, aux: 2),
            0xF0 => To(out next, key ? Mode.KeyUtf8 : Mode.Utf8, aux: 3 | 3 << 4),
            0xF4 => To(out next, key ? Mode.KeyUtf8 : Mode.Utf8, aux: 3 | 4 << 4),
            >= 0xF1 and <= 0xF3 => To(out next, key ? Mode.KeyUtf8 : Mode.Utf8, aux: 3),
            _ => false, // a continuation byte without its lead, or a byte UTF-8 never uses
        };
    }

    private bool Escape(byte b, out JsonSchemaState next)
    {
        next = this;
        bool key = _mode == Mode.KeyEscape;
        return b switch
        {
            (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t' => To(out next, key ? Mode.Key : Mode.String),
            (byte)'u' => To(out next, key ? Mode.KeyHex : Mode.Hex, aux: 4),
            _ => false,
        };
    }

    /// <summary>One of a counted run (hex digits, UTF-8 continuation bytes) read: back to the string after the last.</summary>
    private bool Counted(out JsonSchemaState next, Mode mode)
    {
        var back = mode is Mode.KeyHex or Mode.KeyUtf8 ? Mode.Key : Mode.String;
        int left = _aux & 0xF; // the high bits (a first continuation byte's range) hold only for that byte
        return To(out next, left == 1 ? back : mode, aux: (byte)(left - 1));
    }

    /// <summary>A UTF-8 continuation byte, in the narrower range after E0 (no overlong form), ED (no surrogate), F0 (no
    /// overlong form) and F4 (nothing past U+10FFFF).</summary>
    private bool ContinuationAllowed(byte b) => (_aux >> 4) switch
    {
        0 => b is >= 0x80 and <= 0xBF,
        1 => b is >= 0xA0 and <= 0xBF,
        2 => b is >= 0x80 and <= 0x9F,
        3 => b is >= 0x90 and <= 0xBF,
        _ => b is >= 0x80 and <= 0x8F,
    };

    private static byte Literal(int which, int position) => (byte)(which << 4 | position);

    private bool InLiteral(byte b, out JsonSchemaState next)
    {
        next = this;
        int which = _aux >> 4, position = _aux & 0xF;
        var literal = s_literals[which];
        if (b != literal[position])
        {
            return false;
        }

        return position + 1 == literal.Length ? EndValue(out next) : To(out next, Mode.Literal, aux: Literal(which, position + 1));
    }

    /// <summary>
    /// An enum / const value read as a choice among their JSON texts. One may be a prefix of another (1 and 12), so a
    /// byte that no choice continues with ends a whole one, and is read after it.
    /// </summary>
    private bool InEnum(byte b, out JsonSchemaState next)
    {
        if (_choice.Feed([b], out var choice))
        {
            return To(out next, Mode.Choice, choice: choice);
        }

        next = this;
        return _choice.IsComplete && EndValue(out var ended) && ended.Feed(b, out next);
    }

    /// <summary>
    /// A declared key read as a choice among the keys that may come next. It is whole at its closing quote (no key's
    /// text is a prefix of another's): its property's value comes after the colon, and the keys before it are passed.
    /// </summary>
    private bool InKey(byte b, out JsonSchemaState next)
    {
        next = this;
        if (!_choice.Feed([b], out var choice))
        {
            return false;
        }

        if (!choice.IsComplete)
        {
            return To(out next, Mode.KeyChoice, choice: choice);
        }

        int property = choice.MatchedTag;
        next = new JsonSchemaState(_frames! with { Next = property + 1 }, Mode.Colon, _frames.Shape!.Properties[property].Node);
        return true;
    }

    /// <summary>
    /// A string whose characters must match a pattern: raw UTF-8 goes to the pattern as it comes; an escape is decoded
    /// first (the pattern sees the character, not the backslash). It ends only where the pattern is matched whole.
    /// </summary>
    private bool InPatternString(byte b, out JsonSchemaState next)
    {
        next = this;
        return b switch
        {
            (byte)'"' => _text.IsComplete && EndValue(out next),
            (byte)'\\' => EscapeCanMatch() && To(out next, Mode.PatternEscape, text: _text),
            < 0x20 => false,
            _ => _text.Feed(b, out var text) && PatternText(text, out next),
        };
    }

    private bool PatternEscape(byte b, out JsonSchemaState next)
    {
        next = this;
        int decoded = b switch
        {
            (byte)'"' or (byte)'\\' or (byte)'/' => b,
            (byte)'b' => '\b',
            (byte)'f' => '\f',
            (byte)'n' => '\n',
            (byte)'r' => '\r',
            (byte)'t' => '\t',
            _ => -1,
        };
        if (b == 'u')
        {
            return To(out next, Mode.PatternHex, aux: 4, text: _text);
        }

        return decoded >= 0 && _text.ReadCharacter(decoded, out var text) && PatternText(text, out next);
    }

    /// <summary>
    /// A \u escape's hex digit. Each digit narrows the code points it can still spell; a digit after which none of
    /// them is one the pattern can read (or only surrogates: write such a character raw) is refused at once.
    /// </summary>
    private bool PatternHex(byte b, out JsonSchemaState next)
    {
        next = this;
        int digit = b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            _ => -1,
        };
        if (digit < 0)
        {
            return false;
        }

        int unit = (_unit << 4) | digit, left = _aux - 1;
        if (left > 0)
        {
            int lo = unit << (4 * left), hi = lo | ((1 << (4 * left)) - 1);
            return CanReadOutsideSurrogates(lo, hi) && To(out next, Mode.PatternHex, aux: (byte)left, text: _text, unit: unit);
        }

        return unit is < 0xD800 or > 0xDFFF && _text.ReadCharacter(unit, out var text) && PatternText(text, out next);
    }

    /// <summary>Whether some escape could be next: a character the simple escapes spell, or one a \u escape can.</summary>
    private bool EscapeCanMatch()
    {
        foreach (char c in "\"\\/\b\f\n\r\t")
        {
            if (_text.CanRead(c, c))
            {
                return true;
            }
        }

        return CanReadOutsideSurrogates(0, 0xFFFF);
    }

    private bool CanReadOutsideSurrogates(int lo, int hi) =>
        (lo < 0xD800 && _text.CanRead(lo, Math.Min(hi, 0xD7FF))) || (hi > 0xDFFF && _text.CanRead(Math.Max(lo, 0xE000), hi));

    private bool PatternText(RegexGrammarState text, out JsonSchemaState next) => To(out next, Mode.PatternString, text: text);

    /// <summary>A byte that ends a number: the number is a whole value, and the byte is read after it.</summary>
    private bool EndNumber(byte b, out JsonSchemaState next)
    {
        next = this;
        return EndValue(out var ended) && ended.Feed(b, out next);
    }

    private bool EndValue(out JsonSchemaState next)
    {
        next = new JsonSchemaState(_frames, _frames is null ? Mode.Done : Mode.After, null);
        return true;
    }

    private bool Open(Frame frame, Mode mode, out JsonSchemaState next)
    {
        next = this;
        if (frame.Depth > MaxDepth)
        {
            return false;
        }

        next = new JsonSchemaState(frame, mode, null);
        return true;
    }

    private bool Close(out JsonSchemaState next) => new JsonSchemaState(_frames!.Parent, Mode.After, null).EndValue(out next);

    private bool To(
        out JsonSchemaState next, Mode mode, SchemaNode? node = null, byte aux = 0, bool? integer = null, ChoiceGrammarState choice = default,
        RegexGrammarState text = default, int unit = 0)
    {
        next = new JsonSchemaState(_frames, mode, node, aux, 0, integer ?? _integer, choice, text, unit);
        return true;
    }

    private bool Fraction(byte b) => b == '.' && !_integer;

    private bool Exponent(byte b) => b is (byte)'e' or (byte)'E' && !_integer;

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static bool IsDigit19(byte b) => b is >= (byte)'1' and <= (byte)'9';

    private static bool IsHex(byte b) => IsDigit(b) || b is >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    /// <summary>
    /// An open object (<see cref="Shape"/>; <see cref="Next"/>: the index of the first property not passed) or array
    /// (<see cref="Array"/>, the array's node; <see cref="Next"/>: the items begun).
    /// </summary>
    private sealed record Frame(Frame? Parent, ObjectShape? Shape, SchemaNode? Array, int Next, int Depth);

    private enum Mode : byte
    {
        Value,
        ArrayFirst,
        ObjectFirst,
        ObjectKey,
        Colon,
        After,
        String,
        Escape,
        Hex,
        Utf8,
        Key,
        KeyEscape,
        KeyHex,
        KeyUtf8,
        Literal,
        Choice,
        KeyChoice,
        PatternString,
        PatternEscape,
        PatternHex,
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
