using MambaServe.Engine.Backends;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.State;
using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// The CPU backend: matrix products and embedding through TorchSharp (libtorch's BLAS), and the sequential parts
/// (causal conv1d, selective scan, state update, residual + RMSNorm) as fused native loops from
/// libmambaserve_cpu. fp32 throughout, so it matches the float64 reference within 1e-3. A step runs every one-token
/// entry as one batched decode, then every longer chunk together as one prefill, then forks and samples on the host
/// (<see cref="HostSampler"/>). Owned by one thread (the engine loop); not thread-safe.
/// </summary>
public sealed class CpuModelRunner : IModelRunner
{
    private readonly CpuWeights _weights;
    private readonly CpuStatePool _state;
    private readonly CpuForward _forward;
    private readonly HostSampler _sampler;
    private readonly StepBatchValidator _validator;
    private readonly CpuStepBuffers _buffers = new();

    /// <param name="choosers">How targets are sampled; default <see cref="SamplerTokenChooserFactory"/> over the
    /// config's real (unpadded) vocab.</param>
    public CpuModelRunner(MambaConfig config, MambaWeights weights, int slotCount, int? threads = null,
        StateDType ssmStateDType = StateDType.Float32, ITokenChooserFactory? choosers = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 1);
        if (threads is > 0) set_num_threads(threads.Value);
        Config = config;
        _weights = new CpuWeights(config, weights);
        _state = new CpuStatePool(config, slotCount, ssmStateDType);
        _forward = new CpuForward(config, _weights, _state);
        _sampler = new HostSampler(choosers ?? new SamplerTokenChooserFactory(config.UnpaddedVocabSize), slotCount);
        _validator = new StepBatchValidator(slotCount, config.VocabSize);
        var stateKind = ssmStateDType == StateDType.BFloat16 ? "bf16" : "fp32";
        Device = new DeviceDescription(DeviceKind.Cpu, "cpu", $"{get_num_threads()} threads, fp32 weights, {stateKind} state");
    }

    public MambaConfig Config { get; }
    public int SlotCount => _state.SlotCount;
    public int LogitsWidth => Config.VocabSize;
    public DeviceDescription Device { get; }
    public string? FaultReason => null;

    public void Step(StepBatch batch)
    {
        _validator.Validate(batch);
        _buffers.Prepare(batch, LogitsWidth);
        RunDecodes(batch);
        RunChunks(batch);
    }

    /// <summary>Every one-token entry (decodes, and prompts' last single tokens) as one batch of rows.</summary>
    private void RunDecodes(StepBatch batch)
    {
        var rows = _buffers.DecodeRows(batch, out var needLogits);
        if (rows == 0) return;
        var logits = _buffers.DecodeLogits.AsMemory(0, needLogits ? rows * LogitsWidth : 0);
        _forward.Decode(_buffers.DecodeTokens.AsSpan(0, rows), _buffers.DecodeSlots.AsSpan(0, rows), logits.Span, needLogits);
        for (var i = 0; i < rows; i++)
        {
            var entry = _buffers.Decodes[i];
            var row = needLogits ? logits.Slice(i * LogitsWidth, LogitsWidth) : default;
            if (entry.AllLogits) entry.SetLogits(row);
            ForkAndSample(entry, row.Span);
        }
    }

    /// <summary>Every longer chunk in one prefill forward, so the step's prompts share each projection's GEMM.</summary>
    private void RunChunks(StepBatch batch)
    {
        var tokens = _buffers.GatherChunks(batch);
        if (tokens == 0) return;
        var chunks = _buffers.ChunkRows.AsSpan(0, _buffers.Chunks.Count);
        _forward.Prefill(_buffers.ChunkTokens.AsSpan(0, tokens), chunks, _buffers.ChunkLogits);
        var at = 0;
        for (var i = 0; i < chunks.Length; i++)
        {
            var entry = _buffers.Chunks[i];
            var logits = _buffers.ChunkLogits.AsMemory(at, chunks[i].LogitCount * LogitsWidth);
            at += logits.Length;
            if (entry.AllLogits) entry.SetLogits(logits);
            ForkAndSample(entry, logits.IsEmpty ? default : logits.Span[^LogitsWidth..]);
        }
    }

    /// <summary>Forks the entry's state into each other target slot, then samples every target from the last row.</summary>
    private void ForkAndSample(StepEntry entry, ReadOnlySpan<float> lastRow)
    {
        for (var i = 0; i < entry.Samples.Count; i++)
        {
            var target = entry.Samples[i];
            if (target.Slot != entry.Slot) _state.Copy(entry.Slot, target.Slot);
            _sampler.Sample(target, lastRow);
        }
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
