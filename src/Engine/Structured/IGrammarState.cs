namespace MambaServe.Engine.Structured;

/// <summary>
/// A byte-level grammar's state as a value: feeding bytes gives the next state or a refusal, and equal states allow
/// the same continuations, so a state is the key of its token mask (<see cref="StructuredVocabulary"/>).
/// </summary>
public interface IGrammarState<TSelf> where TSelf : struct, IGrammarState<TSelf>, IEquatable<TSelf>
{
    /// <summary>The state after every byte of <paramref name="bytes"/>, or false at the first one the grammar refuses.</summary>
    bool Feed(ReadOnlySpan<byte> bytes, out TSelf next);

    /// <summary>The state after <paramref name="b"/>, or false when the grammar refuses it (a token prefix tree's walk).</summary>
    bool Feed(byte b, out TSelf next);

    /// <summary>A whole document has been read: the output may end here (the model's EOS is allowed).</summary>
    bool IsComplete { get; }
}

/// <summary>What grammar states share.</summary>
public static class GrammarStates
{
    /// <summary>
    /// <paramref name="state"/> fed every byte of <paramref name="bytes"/> one at a time: the span form of
    /// <see cref="IGrammarState{TSelf}.Feed(byte, out TSelf)"/> for states that have nothing faster.
    /// </summary>
    public static bool FeedEach<TState>(TState state, ReadOnlySpan<byte> bytes, out TState next)
        where TState : struct, IGrammarState<TState>, IEquatable<TState>
    {
        next = state;
        foreach (byte b in bytes)
        {
            if (!next.Feed(b, out next))
            {
                return false;
            }
        }

        return true;
    }
}
