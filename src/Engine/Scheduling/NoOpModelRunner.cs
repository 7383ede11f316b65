using MambaServe.Engine.Backends;
using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Scheduling;

/// <summary>A runner that computes nothing, so <see cref="SchedulerBench"/> times only the engine's own bookkeeping.</summary>
internal sealed class NoOpModelRunner(int slotCount, int logitsWidth) : IModelRunner
{
    public MambaConfig Config { get; } = new(
        DModel: 1, NLayer: 1, VocabSize: logitsWidth, UnpaddedVocabSize: logitsWidth, DState: 1, DConv: 2, DInner: 1,
        DtRank: 1, ProjBias: false, ConvBias: false, TieEmbeddings: true, NormEpsilon: 1e-5f, ResidualInFp32: true,
        EosTokenId: null, BosTokenId: null, PadTokenId: null);

    public int SlotCount => slotCount;

    public int LogitsWidth => logitsWidth;

    public void Prefill(int slot, ReadOnlySpan<int> tokens, Span<float> logits, bool allLogits)
    {
    }

    public void Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, Span<float> logits)
    {
    }

    public void CopySlot(int source, int destination)
    {
    }

    public void ZeroSlot(int slot)
    {
    }

    public StateSnapshot Snapshot(int slot) => new([0f], [0f]);

    public void Restore(int slot, StateSnapshot snapshot)
    {
    }

    public void Dispose()
    {
    }
}
