using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Backends;

/// <summary>
/// The seam between scheduling and compute. A runner owns a preallocated pool of recurrent-state slots
/// (conv [layers, d_inner, d_conv-1] and ssm [layers, d_inner, d_state] each) and knows slots and tokens, never
/// requests. Not thread-safe: one engine loop thread owns it.
/// </summary>
public interface IModelRunner : IDisposable
{
    MambaConfig Config { get; }

    /// <summary>Number of state slots in the pool; slot ids are 0..SlotCount-1.</summary>
    int SlotCount { get; }

    /// <summary>Width of each logits row (the padded vocab; padded ids are for the sampler to mask).</summary>
    int LogitsWidth { get; }

    /// <summary>
    /// Runs <paramref name="tokens"/> through the model starting from <paramref name="slot"/>'s current state and
    /// leaves the state after the last token in the slot. Writes logits for every position
    /// (<c>[tokens.Length, LogitsWidth]</c>) when <paramref name="allLogits"/> is set, else only the last position's
    /// (<c>[LogitsWidth]</c>).
    /// </summary>
    void Prefill(int slot, ReadOnlySpan<int> tokens, Span<float> logits, bool allLogits);

    /// <summary>
    /// One token for each of <c>slots.Length</c> sequences, each at its own position: advances each slot's state by
    /// <c>tokens[i]</c> and writes <c>[slots.Length, LogitsWidth]</c> logits. Slots must be distinct.
    /// </summary>
    void Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, Span<float> logits);

    /// <summary>Overwrites <paramref name="destination"/>'s state with <paramref name="source"/>'s (fork).</summary>
    void CopySlot(int source, int destination);

    /// <summary>Resets a slot to the zero state (a new sequence).</summary>
    void ZeroSlot(int slot);

    /// <summary>Copies a slot's state out, e.g. for the prefix cache.</summary>
    StateSnapshot Snapshot(int slot);

    /// <summary>Overwrites a slot's state with a snapshot taken from a runner of the same model.</summary>
    void Restore(int slot, StateSnapshot snapshot);
}
