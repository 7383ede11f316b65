using System.Runtime.InteropServices;
using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// The CPU runner's per-step scratch, grown as steps need and reused: the step's tokens (the one-token entries', then
/// the longer chunks' back to back), the decode rows' slots, the chunks' rows, and the logits of both (handed out to
/// entries, valid until the next step).
/// </summary>
internal sealed class CpuStepBuffers
{
    private readonly List<ChunkRows> _chunkRows = [];

    public List<StepEntry> Decodes { get; } = [];
    public int[] DecodeSlots { get; private set; } = [];
    public float[] DecodeLogits { get; private set; } = [];

    /// <summary>Whether any one-token entry reads its logits (its own, or to sample from).</summary>
    public bool DecodeNeedsLogits { get; private set; }

    public List<StepEntry> Chunks { get; } = [];

    /// <summary>The chunks' rows, in <see cref="Chunks"/>' order; their Start counts from the first chunk token.</summary>
    public ReadOnlySpan<ChunkRows> ChunkRows => CollectionsMarshal.AsSpan(_chunkRows);

    public int[] Tokens { get; private set; } = [];

    /// <summary>How many of <see cref="Tokens"/> the step holds: the decode rows', then the chunks'.</summary>
    public int TokenCount { get; private set; }

    public float[] ChunkLogits { get; private set; } = [];

    /// <summary>
    /// Sorts <paramref name="batch"/>'s entries into decode rows and chunks, sizes every buffer before any compute (so
    /// nothing grows mid-step), and lays out the step's tokens: the decode rows' first, then each chunk's.
    /// </summary>
    public void Gather(StepBatch batch, int width)
    {
        Decodes.Clear();
        Chunks.Clear();
        _chunkRows.Clear();
        DecodeNeedsLogits = false;
        int chunkTokens = 0, chunkLogitRows = 0;
        for (var i = 0; i < batch.Entries.Count; i++)
        {
            var entry = batch.Entries[i];
            if (entry.Tokens.Length == 1)
            {
                Decodes.Add(entry);
                DecodeNeedsLogits |= entry.AllLogits || entry.Samples.Count > 0;
                continue;
            }
            var rows = Cpu.ChunkRows.Of(entry, start: chunkTokens);
            Chunks.Add(entry);
            _chunkRows.Add(rows);
            chunkTokens += entry.Tokens.Length;
            chunkLogitRows += rows.LogitCount;
        }

        var decodes = Decodes.Count;
        TokenCount = decodes + chunkTokens;
        if (DecodeSlots.Length < decodes) DecodeSlots = new int[decodes];
        if (Tokens.Length < TokenCount) Tokens = new int[TokenCount];
        if (DecodeLogits.LongLength < (long)decodes * width) DecodeLogits = new float[(long)decodes * width];
        if (ChunkLogits.LongLength < (long)chunkLogitRows * width) ChunkLogits = new float[(long)chunkLogitRows * width];

        for (var i = 0; i < decodes; i++)
        {
            DecodeSlots[i] = Decodes[i].Slot;
            Tokens[i] = Decodes[i].Tokens.Span[0];
        }
        var at = decodes;
        foreach (var chunk in Chunks)
        {
            chunk.Tokens.Span.CopyTo(Tokens.AsSpan(at));
            at += chunk.Tokens.Length;
        }
    }
}
