using MambaServe.Engine.Backends;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.State;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// The CPU backend: matrix products through the native small-batch linear (decode) or libtorch's GEMM (prompts), and
/// the sequential parts (causal conv1d, selective scan, state update, residual + RMSNorm) as fused native loops from
/// libmambaserve_cpu. Every product and sum is fp32; the matrices are kept in fp32 or bf16
/// (<see cref="CpuWeightReader"/>). With fp32 matrices it matches the float64 reference within 1e-3. A step runs its
/// one-token entries (decode rows) and its longer chunks in one forward, or, at up to the native linear's row bound
/// (<see cref="CpuWeights.NativeMaxRows"/>), the decode rows in one forward and the chunks in another; then it forks
/// and samples on the host (<see cref="HostSampler"/>). Owned by one thread (the engine loop); not thread-safe.
/// </summary>
public sealed class CpuModelRunner : IModelRunner
{
    private readonly CpuWeights _weights;
    private readonly CpuStatePool _state;
    private readonly CpuForward _forward;
    private readonly HostSampler _sampler;
    private readonly StepBatchValidator _validator;
    private readonly CpuStepBuffers _buffers = new();
    private readonly List<(SampleTarget Target, ReadOnlyMemory<float> Row)> _draws = [];
    private readonly ParallelOptions _drawOptions;

    /// <summary>Fewer draws than this run on the runner's thread: a parallel loop costs more than a few draws.</summary>
    private const int ParallelDrawMin = 8;

    /// <summary>A runner over fp32 weights already in memory (tests, benchmarks).</summary>
    /// <param name="choosers">How targets are sampled; default <see cref="SamplerTokenChooserFactory"/> over the
    /// config's real (unpadded) vocab.</param>
    public CpuModelRunner(MambaConfig config, MambaWeights weights, int slotCount, int? threads = null,
        StateDType ssmStateDType = StateDType.Float32, ITokenChooserFactory? choosers = null)
        : this(new InMemoryWeightSource(config, weights), slotCount, threads, ssmStateDType, choosers, ModelDType.Float32)
    {
    }

    /// <summary>A runner over a weight source, read one tensor at a time.</summary>
    /// <param name="choosers">How targets are sampled; default <see cref="SamplerTokenChooserFactory"/> over the
    /// config's real (unpadded) vocab.</param>
    /// <param name="dtype">The matrices' type (<see cref="CpuWeightReader.MatrixType"/>): auto keeps bf16-stored ones in
    /// bf16; bfloat16 rounds fp32 ones to it, halving the bytes a decode step reads; float32 widens them all.</param>
    public CpuModelRunner(IWeightSource weights, int slotCount, int? threads = null,
        StateDType ssmStateDType = StateDType.Float32, ITokenChooserFactory? choosers = null, ModelDType dtype = ModelDType.Auto)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 1);
        if (threads is > 0) set_num_threads(threads.Value);
        var config = weights.Config;
        Config = config;
        _weights = CpuWeightReader.Read(weights, dtype);
        _state = new CpuStatePool(config, slotCount, ssmStateDType);
        _forward = new CpuForward(config, _weights, _state);
        _sampler = new HostSampler(choosers ?? new SamplerTokenChooserFactory(config.UnpaddedVocabSize), slotCount);
        _validator = new StepBatchValidator(slotCount, config.VocabSize);
        _drawOptions = new ParallelOptions { MaxDegreeOfParallelism = get_num_threads() };
        var stateKind = ssmStateDType == StateDType.BFloat16 ? "bf16" : "fp32";
        Device = new DeviceDescription(DeviceKind.Cpu, "cpu",
            $"{get_num_threads()} threads, {_weights.MatrixTypeName} weights, {stateKind} state") { WeightBytes = _weights.Bytes };
    }

    public MambaConfig Config { get; }
    public int SlotCount => _state.SlotCount;
    public int LogitsWidth => Config.VocabSize;
    public DeviceDescription Device { get; }
    public string? FaultReason => null;

    public void Step(StepBatch batch)
    {
        _validator.Validate(batch);
        _buffers.Gather(batch, LogitsWidth);
        _draws.Clear(); // a step that failed before its draws left its queue behind
        var decodes = _buffers.Decodes.Count;
        var decodeLogits = _buffers.DecodeNeedsLogits;
        var tokens = _buffers.Tokens.AsSpan(0, _buffers.TokenCount);
        var slots = _buffers.DecodeSlots.AsSpan(0, decodes);
        var chunks = _buffers.ChunkRows;
        var decodeOut = _buffers.DecodeLogits.AsSpan(0, decodeLogits ? decodes * LogitsWidth : 0);
        if (tokens.IsEmpty) return;
        // Up to the matrices' NativeMaxRows decode rows keep the native linear, which streams each weight once; past it
        // the decode rows take libtorch's GEMM anyway, so they share it with the step's prompt chunks.
        if (decodes > _weights.NativeMaxRows || chunks.IsEmpty || decodes == 0)
        {
            _forward.Run(tokens, slots, chunks, decodeOut, _buffers.ChunkLogits);
        }
        else
        {
            _forward.Run(tokens[..decodes], slots, [], decodeOut, []);
            _forward.Run(tokens[decodes..], [], chunks, [], _buffers.ChunkLogits);
        }
        FinishDecodes(decodes, decodeLogits);
        FinishChunks(chunks);
        DrawQueued();
    }

    /// <summary>Hands out the one-token entries' logits, then forks each and queues its draws.</summary>
    private void FinishDecodes(int rows, bool haveLogits)
    {
        for (var i = 0; i < rows; i++)
        {
            var entry = _buffers.Decodes[i];
            var row = haveLogits ? _buffers.DecodeLogits.AsMemory(i * LogitsWidth, LogitsWidth) : default;
            if (entry.AllLogits) entry.SetLogits(row);
            ForkAndQueue(entry, row);
        }
    }

    /// <summary>Hands out each chunk's logits (all positions, its last, or none), then forks it and queues its draws.</summary>
    private void FinishChunks(ReadOnlySpan<ChunkRows> chunks)
    {
        var at = 0;
        for (var i = 0; i < chunks.Length; i++)
        {
            var entry = _buffers.Chunks[i];
            var logits = _buffers.ChunkLogits.AsMemory(at, chunks[i].LogitCount * LogitsWidth);
            at += logits.Length;
            if (entry.AllLogits) entry.SetLogits(logits);
            ForkAndQueue(entry, logits.IsEmpty ? default : logits[^LogitsWidth..]);
        }
    }

    /// <summary>Forks the entry's state into each other target slot, and queues every target's draw from the last row.</summary>
    private void ForkAndQueue(StepEntry entry, ReadOnlyMemory<float> lastRow)
    {
        for (var i = 0; i < entry.Samples.Count; i++)
        {
            var target = entry.Samples[i];
            if (target.Slot != entry.Slot) _state.Copy(entry.Slot, target.Slot);
            _draws.Add((target, lastRow));
        }
    }

    /// <summary>
    /// Draws every queued target. Targets of a step are on different slots, each with its own chooser (RNG, penalty
    /// counts, scratch), so many of them go over the cores: the forward's threads are idle meanwhile.
    /// </summary>
    private void DrawQueued()
    {
        if (_draws.Count >= ParallelDrawMin)
            Parallel.For(0, _draws.Count, _drawOptions, i => _sampler.Sample(_draws[i].Target, _draws[i].Row.Span));
        else
            foreach (var (target, row) in _draws) _sampler.Sample(target, row.Span);
        _draws.Clear();
    }

    public void CopySlot(int source, int destination) => _state.Copy(source, destination);

    public void ZeroSlot(int slot)
    {
        _state.Zero(slot);
        _sampler.Forget(slot);
    }

    public IStateSnapshot Snapshot(int slot) => _state.Snapshot(slot);

    public void Restore(int slot, IStateSnapshot snapshot)
    {
        var own = Own(snapshot);
        _state.Restore(slot, own.Conv, own.Ssm);
    }

    public byte[] ExportSnapshot(IStateSnapshot snapshot)
    {
        var own = Own(snapshot);
        return StateSnapshotFormat.Write(Config, _state.SsmDType, own.Conv, own.Ssm);
    }

    public IStateSnapshot ImportSnapshot(ReadOnlySpan<byte> bytes)
    {
        var (conv, ssm) = StateSnapshotFormat.Read(Config, _state.SsmDType, bytes);
        return new CpuStateSnapshot(conv, ssm);
    }

    private static CpuStateSnapshot Own(IStateSnapshot snapshot) =>
        snapshot as CpuStateSnapshot ?? throw new ArgumentException($"A {snapshot?.GetType().Name} is not a CPU runner's snapshot.", nameof(snapshot));

    public void Dispose()
    {
        _state.Dispose();
        _weights.Dispose();
    }
}
