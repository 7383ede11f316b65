namespace MambaServe.Engine.Structured;

/// <summary>
/// A position in a GBNF grammar's parse (<see cref="GbnfStacks"/>) over UTF-8 bytes: the stack set, and a character
/// begun but not finished (<see cref="Utf8Prefix"/>). A lead byte is kept only if some stack takes a character that
/// begins with it (and each continuation byte likewise), so a token that ends inside a character never leaves the
/// sampler without a way on. Overlong forms, surrogates and code points past U+10FFFF are refused.
/// </summary>
public readonly record struct GbnfGrammarState : IGrammarState<GbnfGrammarState>
{
    private readonly GbnfStacks _stacks;
    private readonly StackSet _set;
    private readonly Utf8Prefix _char; // a character begun (Needed 0: none)

    private GbnfGrammarState(GbnfStacks stacks, StackSet set, Utf8Prefix begun)
    {
        _stacks = stacks;
        _set = set;
        _char = begun;
    }

    internal static GbnfGrammarState Start(GbnfGrammar grammar) => new(grammar.Stacks, grammar.Stacks.Start, default);

    public bool IsComplete => _char.IsWhole && _set.IsComplete;

    public bool Feed(ReadOnlySpan<byte> bytes, out GbnfGrammarState next) => GrammarStates.FeedEach(this, bytes, out next);

    public bool Feed(byte b, out GbnfGrammarState next)
    {
        next = this;
        if (!(_char.IsWhole ? Utf8Prefix.Begin(b, out var begun) : _char.Continue(b, out begun)) || begun.Range is var (lo, hi) && lo > hi)
        {
            return false;
        }

        if (begun.IsWhole)
        {
            if (_stacks.Step(_set, begun.Bits) is not { } set)
            {
                return false;
            }

            next = new GbnfGrammarState(_stacks, set, default);
            return true;
        }

        if (!_stacks.CanRead(_set, lo, hi))
        {
            return false;
        }

        next = new GbnfGrammarState(_stacks, _set, begun);
        return true;
    }
}
