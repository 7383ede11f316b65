using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// The CPU runner's per-step scratch, grown as steps need and reused: the step's tokens (the one-token entries', then
/// the longer chunks' back to back), the decode rows' slots, the chunks' rows, and the logits of both (handed out to
/// entries, valid until the next step).
/// </summary>
internal sealed class CpuStepBuffers
{
    public List<StepEntry> Decodes { get; } = [];
    public int[] DecodeSlots { get; private set; } = [];
    public float[] DecodeLogits { get; private set; } = [];

    public List<StepEntry> Chunks { get; } = [];
    public ChunkRows[] ChunkRows { get; private set; } = [];
    public int[] Tokens { get; private set; } = [];
    public float[] ChunkLogits { get; private set; } = [];

    /// <summary>Sizes every buffer for <paramref name="batch"/> before any compute, so nothing grows mid-step.</summary>
    public void Prepare(StepBatch batch, int width)
    {
        int decodes = 0, chunks = 0, chunkTokens = 0, chunkLogitRows = 0;
        for (var i = 0; i < batch.Entries.Count; i++)
        {
            var entry = batch.Entries[i];
            if (entry.Tokens.Length == 1)
            {
                decodes++;
                continue;
            }
            chunks++;
            chunkTokens += entry.Tokens.Length;
            chunkLogitRows += Cpu.ChunkRows.Of(entry, start: 0).LogitCount;
        }

        if (DecodeSlots.Length < decodes) DecodeSlots = new int[decodes];
        if (Tokens.Length < decodes + chunkTokens) Tokens = new int[decodes + chunkTokens];
        if (DecodeLogits.LongLength < (long)decodes * width) DecodeLogits = new float[(long)decodes * width];
        if (ChunkRows.Length < chunks) ChunkRows = new ChunkRows[chunks];
        if (ChunkLogits.LongLength < (long)chunkLogitRows * width) ChunkLogits = new float[(long)chunkLogitRows * width];
    }

    /// <summary>Gathers the one-token entries from the first token on; returns how many, and whether any of them needs its logits.</summary>
    public int GatherDecodes(StepBatch batch, out bool needLogits)
    {
        Decodes.Clear();
        needLogits = false;
        for (var i = 0; i < batch.Entries.Count; i++)
        {
            var entry = batch.Entries[i];
            if (entry.Tokens.Length != 1) continue;
            DecodeSlots[Decodes.Count] = entry.Slot;
            Tokens[Decodes.Count] = entry.Tokens.Span[0];
            Decodes.Add(entry);
            needLogits |= entry.AllLogits || entry.Samples.Count > 0;
        }

        return Decodes.Count;
    }

    /// <summary>
    /// Gathers the entries of two or more tokens back to back from <paramref name="firstToken"/> on (their rows' Start
    /// counts from there); returns how many tokens they hold.
    /// </summary>
    public int GatherChunks(StepBatch batch, int firstToken)
    {
        Chunks.Clear();
        var tokens = 0;
        for (var i = 0; i < batch.Entries.Count; i++)
        {
            var entry = batch.Entries[i];
            if (entry.Tokens.Length == 1) continue;
            entry.Tokens.Span.CopyTo(Tokens.AsSpan(firstToken + tokens));
            ChunkRows[Chunks.Count] = Cpu.ChunkRows.Of(entry, start: tokens);
            Chunks.Add(entry);
            tokens += entry.Tokens.Length;
        }

        return tokens;
    }
}
