using System.Buffers.Binary;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Tests.Infrastructure;

/// <summary>
/// A deterministic stand-in for a model: a slot's "state" is a 64-bit hash chained over every token it has seen, and a
/// logits row is a pure function of that state. So two slots that saw the same tokens give identical logits whatever
/// else is batched with them, and a restored snapshot continues exactly like a full prefill. Samples on the host
/// (<see cref="HostSampler"/>) like the CPU runner, and keeps the step contract: an invalid entry throws
/// <see cref="StepEntryException"/> before any state changes. Records what it ran for assertions.
/// </summary>
internal sealed class FakeModelRunner : IModelRunner
{
    private readonly ulong[] _states;
    private readonly int _snapshotBytes;
    private readonly HostSampler _sampler;
    private readonly StepBatchValidator _validator;
    private readonly Queue<StepBatch> _queued = new();
    private readonly Dictionary<StepBatch, Exception?> _ranEarly = [];
    private float[] _logits = [];

    /// <param name="snapshotBytes">What each snapshot reports as its size (prefix-cache budget tests).</param>
    public FakeModelRunner(int slotCount = 8, int logitsWidth = 50, int? eosTokenId = null, int snapshotBytes = 256,
        ITokenChooserFactory? choosers = null)
    {
        _states = new ulong[slotCount];
        _snapshotBytes = snapshotBytes;
        LogitsWidth = logitsWidth;
        Config = new MambaConfig(
            DModel: 8, NLayer: 1, VocabSize: logitsWidth, UnpaddedVocabSize: logitsWidth, DState: 4, DConv: 4,
            DInner: 16, DtRank: 1, ProjBias: false, ConvBias: true, TieEmbeddings: true, NormEpsilon: 1e-5f,
            ResidualInFp32: true, EosTokenId: eosTokenId, BosTokenId: null, PadTokenId: null);
        _sampler = new HostSampler(choosers ?? new SamplerTokenChooserFactory(logitsWidth), slotCount);
        _validator = new StepBatchValidator(slotCount, logitsWidth);
    }

    public MambaConfig Config { get; }

    public int SlotCount => _states.Length;

    public int LogitsWidth { get; }

    public DeviceDescription Device { get; } = new(DeviceKind.Cpu, "fake", "hash-chain model for tests");

    public string? FaultReason { get; set; }

    /// <summary>A step whose entry contains this (slot, token) pair rejects that entry (token -1: any token).</summary>
    public Func<int, int, bool>? FailWhen { get; set; }

    /// <summary>A step for which this holds throws a plain exception after it has run half of its entries.</summary>
    public Func<StepBatch, bool>? CrashWhen { get; set; }

    /// <summary>Snapshot throws while this is set, as a GPU out of device memory does.</summary>
    public Exception? SnapshotFails { get; set; }

    /// <summary>Called on entry to every Step (e.g. to block the engine thread in a test).</summary>
    public Action? OnStep { get; set; }

    /// <summary>Every entry run, in order: (slot, tokens, sample targets, forks among them, all logits).</summary>
    public List<(int Slot, int Length, int Samples, int Forks, bool AllLogits)> Entries { get; } = [];

    /// <summary>Entries per successful step.</summary>
    public List<int> StepSizes { get; } = [];

    public int ForkCount => Entries.Sum(e => e.Forks);

    public int ZeroCount { get; private set; }

    public int RestoreCount { get; private set; }

    public int SnapshotCount { get; private set; }

    /// <summary>Snapshots taken while a batch was in flight (which made them wait for it).</summary>
    public int SnapshotsInFlight { get; private set; }

    /// <summary>Snapshots taken or imported and not disposed yet.</summary>
    public int LiveSnapshots { get; private set; }

    /// <summary>The logits row a slot that has seen <paramref name="tokens"/> from zero state produces.</summary>
    public float[] LogitsAfter(ReadOnlySpan<int> tokens)
    {
        ulong state = 0;
        foreach (int token in tokens)
        {
            state = Mix(state, token);
        }

        var row = new float[LogitsWidth];
        WriteLogits(state, row);
        return row;
    }

    public void Step(StepBatch batch)
    {
        Check(batch);
        Run(batch);
    }

    /// <summary>
    /// Runs ahead as the GPU runner does: <see cref="Begin"/> checks a batch and queues it, and <see cref="End"/> runs
    /// it, reading its continued tokens only then; so the engine sees no result before the batch ends. Slot
    /// operations while a batch is queued throw (the engine must not touch slots then), but for a snapshot, which
    /// runs the queued batches first, as the GPU runner's snapshot follows them in stream order.
    /// </summary>
    public bool RunsAhead { get; set; }

    /// <summary>Batches begun while another was in flight (run ahead).</summary>
    public int BegunAhead { get; private set; }

    public bool CanContinue(StepBatch previous) => !RunsAhead || (_queued.Count == 1 && _queued.Peek() == previous);

    public void Begin(StepBatch batch)
    {
        if (!RunsAhead)
        {
            batch.ResolveContinuations();
            Step(batch);
            return;
        }

        if (_queued.Count == 2)
        {
            throw new InvalidOperationException("Two batches are in flight already.");
        }

        Check(batch);
        BegunAhead += _queued.Count;
        _queued.Enqueue(batch);
    }

    /// <summary>Called at each <see cref="WaitForTail"/>, with the batch in flight (a request arriving while it runs).</summary>
    public Action? OnWaitForTail { get; set; }

    /// <summary>Waits for the tail of the batch in flight: the engine calls it only with one batch begun and not ended.</summary>
    public void WaitForTail()
    {
        if (RunsAhead && _queued.Count != 1)
        {
            throw new InvalidOperationException($"WaitForTail with {_queued.Count} batches in flight.");
        }

        OnWaitForTail?.Invoke();
    }

    public void End(StepBatch batch)
    {
        if (!RunsAhead)
        {
            return;
        }

        if (!_queued.TryPeek(out var oldest) || oldest != batch)
        {
            throw new InvalidOperationException("End must take the oldest batch begun.");
        }

        _queued.Dequeue();
        if (_ranEarly.Remove(batch, out var failure))
        {
            if (failure is not null)
            {
                throw failure;
            }

            return;
        }

        batch.ResolveContinuations();
        Run(batch);
    }

    /// <summary>Runs the queued batches that have not run (a snapshot while they are in flight); each one's failure shows when it ends.</summary>
    private void RunQueued()
    {
        foreach (var batch in _queued)
        {
            if (_ranEarly.ContainsKey(batch))
            {
                continue;
            }

            try
            {
                batch.ResolveContinuations();
                Run(batch);
                _ranEarly[batch] = null;
            }
            catch (Exception ex)
            {
                _ranEarly[batch] = ex;
            }
        }
    }

    private void Run(StepBatch batch)
    {
        int rows = batch.Entries.Where(e => e.AllLogits).Sum(e => e.Tokens.Length);
        if (_logits.Length < rows * LogitsWidth)
        {
            _logits = new float[rows * LogitsWidth];
        }

        int used = 0;
        var lastRow = new float[LogitsWidth];
        for (int i = 0; i < batch.Entries.Count; i++)
        {
            if (CrashWhen?.Invoke(batch) == true && i == batch.Entries.Count / 2)
            {
                throw new InvalidOperationException("Injected failure in the middle of a step.");
            }

            used = RunEntry(batch.Entries[i], used, lastRow);
        }

        StepSizes.Add(batch.Entries.Count);
    }

    private void ThrowIfInFlight()
    {
        if (_queued.Count > 0)
        {
            throw new InvalidOperationException("A slot was touched while a batch was in flight.");
        }
    }

    /// <summary>What a step does before it changes any state: the hook, the step contract, the injected refusals.</summary>
    private void Check(StepBatch batch)
    {
        OnStep?.Invoke();
        _validator.Validate(batch);
        CheckInjectedFailures(batch);
    }

    private void CheckInjectedFailures(StepBatch batch)
    {
        for (int i = 0; i < batch.Entries.Count; i++)
        {
            var entry = batch.Entries[i];
            foreach (int token in entry.Tokens.Span)
            {
                if (FailWhen?.Invoke(entry.Slot, token) == true)
                {
                    throw new StepEntryException(i, $"Injected failure for slot {entry.Slot}, token {token}.",
                        new InvalidOperationException("Injected failure."));
                }
            }
        }
    }

    private int RunEntry(StepEntry entry, int used, float[] lastRow)
    {
        ulong state = _states[entry.Slot];
        var tokens = entry.Tokens.Span;
        for (int t = 0; t < tokens.Length; t++)
        {
            state = Mix(state, tokens[t]);
            if (entry.AllLogits)
            {
                WriteLogits(state, _logits.AsSpan(used + t * LogitsWidth, LogitsWidth));
            }
        }

        // A row fed a stop token runs on no slot's state, as the GPU runner's scratch slot (StepEntry.Continues).
        if (!entry.HeldBack)
        {
            _states[entry.Slot] = state;
        }

        if (entry.AllLogits)
        {
            entry.SetLogits(_logits.AsMemory(used, tokens.Length * LogitsWidth));
            used += tokens.Length * LogitsWidth;
        }

        WriteLogits(state, lastRow);
        int forks = 0;
        foreach (var target in entry.Samples)
        {
            if (target.Slot != entry.Slot)
            {
                _states[target.Slot] = state;
                forks++;
            }

            _sampler.Sample(target, lastRow);
        }

        Entries.Add((entry.Slot, tokens.Length, entry.Samples.Count, forks, entry.AllLogits));
        return used;
    }

    public void CopySlot(int source, int destination)
    {
        ThrowIfInFlight();
        _states[destination] = _states[source];
    }

    public void ZeroSlot(int slot)
    {
        ThrowIfInFlight();
        ZeroCount++;
        _states[slot] = 0;
        _sampler.Forget(slot);
    }

    public IStateSnapshot Snapshot(int slot)
    {
        if (SnapshotFails is { } failure)
        {
            throw failure;
        }

        SnapshotsInFlight += _queued.Count > 0 ? 1 : 0;
        RunQueued();
        SnapshotCount++;
        return new FakeSnapshot(this, _states[slot]);
    }

    public void Restore(int slot, IStateSnapshot snapshot)
    {
        ThrowIfInFlight();
        RestoreCount++;
        _states[slot] = Own(snapshot).State;
    }

    public byte[] ExportSnapshot(IStateSnapshot snapshot)
    {
        var bytes = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 0xFA4E);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(4), Own(snapshot).State);
        return bytes;
    }

    public IStateSnapshot ImportSnapshot(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 12 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != 0xFA4E)
        {
            throw new ArgumentException("Not a fake runner's snapshot.", nameof(bytes));
        }

        return new FakeSnapshot(this, BinaryPrimitives.ReadUInt64LittleEndian(bytes[4..]));
    }

    public void Dispose()
    {
    }

    private FakeSnapshot Own(IStateSnapshot snapshot)
    {
        var own = snapshot as FakeSnapshot ?? throw new ArgumentException("Not a fake runner's snapshot.", nameof(snapshot));
        ObjectDisposedException.ThrowIf(own.Disposed, own);
        return own;
    }

    private static ulong Mix(ulong state, int token)
    {
        ulong z = state + 0x9E3779B97F4A7C15UL * (ulong)(token + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static void WriteLogits(ulong state, Span<float> row)
    {
        for (int j = 0; j < row.Length; j++)
        {
            ulong h = Mix(state, 1_000_003 + j);
            row[j] = (float)((h >> 40) / (double)(1UL << 24) * 8.0 - 4.0);
        }
    }

    private sealed class FakeSnapshot : IStateSnapshot
    {
        private readonly FakeModelRunner _owner;

        public FakeSnapshot(FakeModelRunner owner, ulong state)
        {
            _owner = owner;
            State = state;
            owner.LiveSnapshots++;
        }

        public ulong State { get; }

        public bool Disposed { get; private set; }

        public long SizeInBytes => _owner._snapshotBytes;

        public void Dispose()
        {
            if (!Disposed)
            {
                Disposed = true;
                _owner.LiveSnapshots--;
            }
        }
    }
}
