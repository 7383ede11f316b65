namespace MambaServe.Engine.Structured;

/// <summary>
/// A position in a GBNF grammar's parse (<see cref="GbnfStacks"/>) over UTF-8 bytes: the stack set, and a character
/// begun but not finished. A lead byte is kept only if some stack takes a character that begins with it (and each
/// continuation byte likewise), so a token that ends inside a character never leaves the sampler without a way on.
/// Overlong forms, surrogates and code points past U+10FFFF are refused.
/// </summary>
public readonly record struct GbnfGrammarState : IGrammarState<GbnfGrammarState>
{
    private readonly GbnfStacks _stacks;
    private readonly StackSet _set;
    private readonly int _partial;  // the bits of a character begun
    private readonly byte _needed;  // continuation bytes it still needs
    private readonly byte _length;  // the begun character's bytes in all

    private GbnfGrammarState(GbnfStacks stacks, StackSet set, int partial, byte needed, byte length)
    {
        _stacks = stacks;
        _set = set;
        _partial = partial;
        _needed = needed;
        _length = length;
    }

    internal static GbnfGrammarState Start(GbnfGrammar grammar) => new(grammar.Stacks, grammar.Stacks.Start, 0, 0, 0);

    public bool IsComplete => _needed == 0 && _set.IsComplete;

    public bool Feed(ReadOnlySpan<byte> bytes, out GbnfGrammarState next) => GrammarStates.FeedEach(this, bytes, out next);

    public bool Feed(byte b, out GbnfGrammarState next)
    {
        next = this;
        if (_needed > 0)
        {
            return b is >= 0x80 and <= 0xBF && Continue((_partial << 6) | (b & 0x3F), (byte)(_needed - 1), _length, out next);
        }

        return b switch
        {
            < 0x80 => Read(b, out next),
            >= 0xC2 and <= 0xDF => Continue(b & 0x1F, 1, 2, out next),
            >= 0xE0 and <= 0xEF => Continue(b & 0x0F, 2, 3, out next),
            >= 0xF0 and <= 0xF4 => Continue(b & 0x07, 3, 4, out next),
            _ => false,
        };
    }

    /// <summary>A character's bits so far: read it when whole, else keep it if a stack takes a character that begins so.</summary>
    private bool Continue(int partial, byte needed, byte length, out GbnfGrammarState next)
    {
        next = this;
        int lo = Math.Max(partial << (6 * needed), length switch { 2 => 0x80, 3 => 0x800, _ => 0x10000 });
        int hi = Math.Min((partial << (6 * needed)) | ((1 << (6 * needed)) - 1), 0x10FFFF);
        if (lo > hi)
        {
            return false; // an overlong form, or past U+10FFFF
        }

        if (needed == 0)
        {
            return Read(partial, out next);
        }

        if (!_stacks.CanRead(_set, lo, hi))
        {
            return false;
        }

        next = new GbnfGrammarState(_stacks, _set, partial, needed, length);
        return true;
    }

    private bool Read(int codePoint, out GbnfGrammarState next)
    {
        next = this;
        if (codePoint is >= 0xD800 and <= 0xDFFF || _stacks.Step(_set, codePoint) is not { } set)
        {
            return false;
        }

        next = new GbnfGrammarState(_stacks, set, 0, 0, 0);
        return true;
    }
}
