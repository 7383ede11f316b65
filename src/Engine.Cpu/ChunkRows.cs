using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// One prompt chunk inside a prefill forward: its slot, its rows [Start, Start + Length) among the forward's tokens,
/// and which of its positions need logits.
/// </summary>
internal readonly record struct ChunkRows(int Slot, int Start, int Length, LogitRows Rows)
{
    /// <summary>How many logit rows the chunk contributes to the forward's output.</summary>
    public int LogitCount => Rows switch
    {
        LogitRows.All => Length,
        LogitRows.Last => 1,
        _ => 0,
    };

    /// <summary>
    /// An entry's chunk at <paramref name="start"/>: its logits at every position when it scores its prompt, at the
    /// last when it samples, else none.
    /// </summary>
    public static ChunkRows Of(StepEntry entry, int start) => new(entry.Slot, start, entry.Tokens.Length,
        entry.AllLogits ? LogitRows.All : entry.Samples.Count > 0 ? LogitRows.Last : LogitRows.None);
}
