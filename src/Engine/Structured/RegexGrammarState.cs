namespace MambaServe.Engine.Structured;

/// <summary>
/// Where an output stands against a regular expression (<see cref="RegexProgram"/>): the DFA state after the
/// characters read, plus a UTF-8 character begun and not ended (<see cref="Utf8Prefix"/>). A byte that begins a
/// character no continuation of which the pattern can read is refused at once, so a grammar state never leaves the
/// sampler without an allowed token; overlong forms, surrogates and code points past U+10FFFF are refused.
/// </summary>
public readonly record struct RegexGrammarState : IGrammarState<RegexGrammarState>
{
    private readonly RegexProgram _program;
    private readonly int _state;
    private readonly Utf8Prefix _char; // a character begun (Needed 0: none)

    private RegexGrammarState(RegexProgram program, int state, Utf8Prefix begun)
    {
        _program = program;
        _state = state;
        _char = begun;
    }

    public static RegexGrammarState Start(RegexProgram program) => new(program, program.Start, default);

    public bool IsComplete => _char.IsWhole && _program.Accepts(_state);

    /// <summary>Whether a character in [<paramref name="lo"/>, <paramref name="hi"/>] can come next (none begun).</summary>
    public bool CanRead(int lo, int hi) => _char.IsWhole && _program.CanRead(_state, lo, hi);

    /// <summary>The state after the whole character <paramref name="codePoint"/> (a JSON escape's), or false.</summary>
    public bool ReadCharacter(int codePoint, out RegexGrammarState next)
    {
        next = this;
        return _char.IsWhole && Read(codePoint, out next);
    }

    public bool Feed(ReadOnlySpan<byte> bytes, out RegexGrammarState next) => GrammarStates.FeedEach(this, bytes, out next);

    public bool Feed(byte b, out RegexGrammarState next)
    {
        next = this;
        if (!(_char.IsWhole ? Utf8Prefix.Begin(b, out var begun) : _char.Continue(b, out begun)) || begun.Range is var (lo, hi) && lo > hi)
        {
            return false;
        }

        if (begun.IsWhole)
        {
            return Read(begun.Bits, out next);
        }

        if (!_program.CanRead(_state, lo, hi))
        {
            return false;
        }

        next = new RegexGrammarState(_program, _state, begun);
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

        next = new RegexGrammarState(_program, state, default);
        return true;
    }
}
