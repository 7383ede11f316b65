namespace MambaServe.Engine.Structured;

/// <summary>
/// Where an output stands against a regular expression (<see cref="RegexProgram"/>): the DFA state after the
/// characters read, plus a UTF-8 character begun and not ended (its bits so far and the bytes it still needs). A
/// byte that begins a character no continuation of which the pattern can read is refused at once, so a grammar
/// state never leaves the sampler without an allowed token.
/// </summary>
public readonly record struct RegexGrammarState : IGrammarState<RegexGrammarState>
{
    private readonly RegexProgram _program;
    private readonly int _state;
    private readonly int _partial;   // the bits of a character begun
    private readonly byte _needed;   // continuation bytes it still needs

    private RegexGrammarState(RegexProgram program, int state, int partial, byte needed)
    {
        _program = program;
        _state = state;
        _partial = partial;
        _needed = needed;
    }

    public static RegexGrammarState Start(RegexProgram program) => new(program, program.Start, 0, 0);

    public bool IsComplete => _needed == 0 && _program.Accepts(_state);

    /// <summary>Whether a character in [<paramref name="lo"/>, <paramref name="hi"/>] can come next (none begun).</summary>
    public bool CanRead(int lo, int hi) => _needed == 0 && _program.CanRead(_state, lo, hi);

    /// <summary>The state after the whole character <paramref name="codePoint"/> (a JSON escape's), or false.</summary>
    public bool ReadCharacter(int codePoint, out RegexGrammarState next)
    {
        next = this;
        return _needed == 0 && Read(codePoint, out next);
    }

    public bool Feed(ReadOnlySpan<byte> bytes, out RegexGrammarState next) => GrammarStates.FeedEach(this, bytes, out next);

    public bool Feed(byte b, out RegexGrammarState next)
    {
        next = this;
        if (_needed > 0)
        {
            if (b is < 0x80 or > 0xBF)
            {
                return false;
            }

            return Continue((_partial << 6) | (b & 0x3F), (byte)(_needed - 1), out next);
        }

        return b switch
        {
            < 0x80 => Read(b, out next),
            >= 0xC2 and <= 0xDF => Continue(b & 0x1F, 1, out next),
            >= 0xE0 and <= 0xEF => Continue(b & 0x0F, 2, out next),
            >= 0xF0 and <= 0xF4 => Continue(b & 0x07, 3, out next),
            _ => false,
        };
    }

    /// <summary>A character's bits so far: read it when whole, else keep it if the pattern can read one that begins so.</summary>
    private bool Continue(int partial, byte needed, out RegexGrammarState next)
    {
        next = this;
        if (needed == 0)
        {
            return Read(partial, out next);
        }

        int lo = partial << (6 * needed), hi = lo | ((1 << (6 * needed)) - 1);
        if (!_program.CanRead(_state, lo, hi))
        {
            return false;
        }

        next = new RegexGrammarState(_program, _state, partial, needed);
        return true;
    }

    private bool Read(int codePoint, out RegexGrammarState next)
    {
        next = this;
        int state = _program.Step(_state, codePoint);
        if (state == RegexProgram.Dead)
        {
            return false;
        }

        next = new RegexGrammarState(_program, state, 0, 0);
        return true;
    }
}
