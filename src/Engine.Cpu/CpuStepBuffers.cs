using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// The CPU runner's per-step scratch, grown as steps need and reused: the one-token entries gathered into one decode
/// batch, the longer chunks gathered into one prefill, and their logits (handed out to entries, valid until the next
/// step).
/// </summary>
internal sealed class CpuStepBuffers
{
    public List<StepEntry> Decodes { get; } = [];
    public int[] DecodeSlots { get; private set; } = [];
    public int[] DecodeTokens { get; private set; } = [];
    public float[] DecodeLogits { get; private set; } = [];

    public List<StepEntry> Chunks { get; } = [];
    public ChunkRows[] ChunkRows { get; private set; } = [];
    public int[] ChunkTokens { get; private set; } = [];
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

        if (DecodeSlots.Length < decodes)
        {
            DecodeSlots = new int[decodes];
            DecodeTokens = new int[decodes];
        }
        if (DecodeLogits.LongLength < (long)decodes * width) DecodeLogits = new float[(long)decodes * width];
        if (ChunkRows.Length < chunks) ChunkRows = new ChunkRows[chunks];
        if (ChunkTokens.Length < chunkTokens) ChunkTokens = new int[chunkTokens];
        if (ChunkLogits.LongLength < (long)chunkLogitRows * width) ChunkLogits = new float[(long)chunkLogitRows * width];
    }

    /// <summary>Gathers the one-token entries; returns how many, and whether any of them needs its logits.</summary>
    public int DecodeRows(StepBatch batch, out bool needLogits)
    {
        Decodes.Clear();
        needLogits = false;
        for (var i = 0; i < batch.Entries.Count; i++)
        {
            var entry = batch.Entries[i];
            if (entry.Tokens.Length != 1) continue;
            DecodeSlots[Decodes.Count] = entry.Slot;
            DecodeTokens[Decodes.Count] = entry.Tokens.Span[0];
            Decodes.Add(entry);
            needLogits |= entry.AllLogits || entry.Samples.Count > 0;
        }

        return Decodes.Count;
    }

    /// <summary>Gathers the entries of two or more tokens back to back; returns how many tokens they hold.</summary>
    public int GatherChunks(StepBatch batch)
    {
        Chunks.Clear();
        var tokens = 0;
        for (var i = 0; i < batch.Entries.Count; i++)
        {
            var entry = batch.Entries[i];
            if (entry.Tokens.Length == 1) continue;
            entry.Tokens.Span.CopyTo(ChunkTokens.AsSpan(tokens));
            ChunkRows[Chunks.Count] = Cpu.ChunkRows.Of(entry, start: tokens);
            Chunks.Add(entry);
            tokens += entry.Tokens.Length;
        }

        return tokens;
    }
}
