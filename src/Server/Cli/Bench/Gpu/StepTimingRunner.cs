using System.Diagnostics;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Loading;

namespace MambaServe.Server.Cli.Bench.Gpu;

/// <summary>
/// A runner that counts its steps and the time spent inside them, for the seed experiment: the wall time less the
/// runner's is what the engine (scheduling, bookkeeping, updates) adds between device steps. Everything else is the
/// inner runner's; disposing it leaves the inner runner alone (the benchmark owns it).
/// </summary>
public sealed class StepTimingRunner(IModelRunner inner) : IModelRunner
{
    private long _ticks;

    /// <summary>Steps run so far.</summary>
    public int Steps { get; private set; }

    /// <summary>
    /// Time spent inside <see cref="Step"/>, <see cref="Begin"/>, <see cref="WaitForTail"/> and <see cref="End"/> so far.
    /// </summary>
    public TimeSpan StepTime => Stopwatch.GetElapsedTime(0, _ticks);

    public MambaConfig Config => inner.Config;
    public int SlotCount => inner.SlotCount;
    public int LogitsWidth => inner.LogitsWidth;
    public DeviceDescription Device => inner.Device;
    public string? FaultReason => inner.FaultReason;

    public void Step(StepBatch batch) => Timed(() => inner.Step(batch), step: true);

    public bool RunsAhead => inner.RunsAhead;

    public bool CanContinue(StepBatch previous) => inner.CanContinue(previous);

    public void Begin(StepBatch batch) => Timed(() => inner.Begin(batch), step: false);

    public void WaitForTail() => Timed(inner.WaitForTail, step: false);

    public void End(StepBatch batch) => Timed(() => inner.End(batch), step: true);

    private void Timed(Action call, bool step)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            call();
        }
        finally
        {
            _ticks += Stopwatch.GetTimestamp() - started;
            Steps += step ? 1 : 0;
        }
    }

    public void CopySlot(int source, int destination) => inner.CopySlot(source, destination);
    public void ZeroSlot(int slot) => inner.ZeroSlot(slot);
    public IStateSnapshot Snapshot(int slot) => inner.Snapshot(slot);
    public void Restore(int slot, IStateSnapshot snapshot) => inner.Restore(slot, snapshot);
    public byte[] ExportSnapshot(IStateSnapshot snapshot) => inner.ExportSnapshot(snapshot);
    public IStateSnapshot ImportSnapshot(ReadOnlySpan<byte> bytes) => inner.ImportSnapshot(bytes);

    public void Dispose()
    {
    }
}
