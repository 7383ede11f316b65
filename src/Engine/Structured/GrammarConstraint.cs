using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Structured;

/// <summary>One sample's position in a byte-level grammar over the model's vocabulary.</summary>
internal sealed class GrammarConstraint<TState>(StructuredVocabulary vocabulary, TState start) : ITokenConstraint
    where TState : struct, IGrammarState<TState>, IEquatable<TState>
{
    private TState _state = start;

    public TokenMask Banned() => vocabulary.BannedAfter(_state);

    public void Advance(int tokenId)
    {
        if (tokenId == vocabulary.Eos && _state.IsComplete)
        {
            return;
        }

        if (vocabulary.Bytes(tokenId) is not { } bytes || !_state.Feed(bytes, out var next))
        {
            throw new InvalidOperationException($"Token {tokenId} does not follow the requested output format here.");
        }

        _state = next;
    }
}

/// <summary>Starts every sample of a request at the same grammar state.</summary>
internal sealed class GrammarConstraintFactory<TState>(StructuredVocabulary vocabulary, TState start) : ITokenConstraintFactory
    where TState : struct, IGrammarState<TState>, IEquatable<TState>
{
    public ITokenConstraint Create() => new GrammarConstraint<TState>(vocabulary, start);
}
