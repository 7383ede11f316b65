using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// The CPU runner's per-step scratch, grown as steps need and reused: the one-token entries gathered into one decode
/// batch, their logits, and the all-position logits handed out to entries (valid until the next step).
/// </summary>
internal sealed class CpuStepBuffers
{
    private float[] _chunkLogits = [];
    private int _chunkLogitsUsed;

    public List<StepEntry> Decodes { get; } = [];
    public int[] DecodeSlots { get; private set; } = [];
    public int[] DecodeTokens { get; private set; } = [];
    public float[] DecodeLogits { get; private set; } = [];
    public Memory<float> LastRow { get; private set; }

    /// <summary>Sizes every buffer for <paramref name="batch"/> before any compute, so nothing grows mid-step.</summary>
    public void Prepare(StepBatch batch, int width)
    {
        int decodes = 0, allLogitsRows = 0;
        for (var i = 0; i < batch.Entries.Count; i++)
        {
            var entry = batch.Entries[i];
            if (entry.Tokens.Length == 1) decodes++;
            else if (entry.AllLogits) allLogitsRows += entry.Tokens.Length;
        }

        if (DecodeSlots.Length < decodes)
        {
            DecodeSlots = new int[decodes];
            DecodeTokens = new int[decodes];
        }

        if (DecodeLogits.LongLength < (long)decodes * width) DecodeLogits = new float[(long)decodes * width];
        if (_chunkLogits.LongLength < (long)allLogitsRows * width) _chunkLogits = new float[(long)allLogitsRows * width];
        if (LastRow.Length != width) LastRow = new float[width];
        _chunkLogitsUsed = 0;
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

    /// <summary>A region no other entry of this step holds.</summary>
    public Memory<float> RentChunkLogits(int floats)
    {
        var region = _chunkLogits.AsMemory(_chunkLogitsUsed, floats);
        _chunkLogitsUsed += floats;
        return region;
    }
}
