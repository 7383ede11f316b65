using MambaServe.Engine.Backends;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Scheduling;

/// <summary>
/// A runner that computes nothing and samples token 1 every time, so <see cref="SchedulerBench"/> times only the
/// engine's own bookkeeping; with <c>stepTime</c> each step holds the calling thread that long, spinning, as the
/// engine thread waits for a device step.
/// </summary>
internal sealed class NoOpModelRunner(int slotCount, int logitsWidth, TimeSpan stepTime = default) : IModelRunner
{
    private static readonly ChosenToken First = new(1, 0f, []);

    public MambaConfig Config { get; } = new(
        DModel: 1, NLayer: 1, VocabSize: logitsWidth, UnpaddedVocabSize: logitsWidth, DState: 1, DConv: 2, DInner: 1,
        DtRank: 1, ProjBias: false, ConvBias: false, TieEmbeddings: true, NormEpsilon: 1e-5f, ResidualInFp32: true,
        EosTokenId: null, BosTokenId: null, PadTokenId: null);

    public int SlotCount => slotCount;

    public int LogitsWidth => logitsWidth;

    public DeviceDescription Device { get; } = new(DeviceKind.Cpu, "none", "no-op runner for the scheduler bench");

    public string? FaultReason => null;

    public void Step(StepBatch batch)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (System.Diagnostics.Stopwatch.GetElapsedTime(started) < stepTime)
        {
            Thread.SpinWait(64);
        }

        // Indexed loops: foreach over the IReadOnlyList views would box an enumerator per entry.
        for (int i = 0; i < batch.Entries.Count; i++)
        {
            var samples = batch.Entries[i].Samples;
            for (int j = 0; j < samples.Count; j++)
            {
                samples[j].SetChosen(First);
            }
        }
    }

    public void CopySlot(int source, int destination)
    {
    }

    public void ZeroSlot(int slot)
    {
    }

    public IStateSnapshot Snapshot(int slot) => new NoOpSnapshot();

    public void Restore(int slot, IStateSnapshot snapshot)
    {
    }

    public byte[] ExportSnapshot(IStateSnapshot snapshot) => [];

    public IStateSnapshot ImportSnapshot(ReadOnlySpan<byte> bytes) => new NoOpSnapshot();

    public void Dispose()
    {
    }

    private sealed class NoOpSnapshot : IStateSnapshot
    {
        public long SizeInBytes => 1;

        public void Dispose()
        {
        }
    }
}
