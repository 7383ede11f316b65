using MambaServe.Engine.Loading;
using MambaServe.Engine.State;
using static TorchSharp.torch;

namespace MambaServe.Engine.Backends.Cpu;

/// <summary>
/// The CPU backend: matrix products and embedding through TorchSharp (libtorch's BLAS), and the sequential parts
/// (causal conv1d, selective scan, state update, residual + RMSNorm) as fused native loops from
/// libmambaserve_cpu. fp32 throughout, so it matches the float64 reference within 1e-3.
/// Owned by one thread (the engine loop); not thread-safe.
/// </summary>
public sealed unsafe class CpuModelRunner : IModelRunner
{
    private readonly CpuWeights _weights;
    private readonly CpuStatePool _state;
    private readonly CpuForward _forward;

    public CpuModelRunner(MambaConfig config, MambaWeights weights, int slotCount, int? threads = null, StateDType ssmStateDType = StateDType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 1);
        if (threads is > 0) set_num_threads(threads.Value);
        Config = config;
        _weights = new CpuWeights(config, weights);
        _state = new CpuStatePool(config, slotCount, ssmStateDType);
        _forward = new CpuForward(config, _weights, _state);
    }

    public MambaConfig Config { get; }
    public int SlotCount => _state.SlotCount;
    public int LogitsWidth => Config.VocabSize;

    public void Prefill(int slot, ReadOnlySpan<int> tokens, Span<float> logits, bool allLogits)
    {
        _state.CheckSlot(slot);
        if (tokens.IsEmpty) throw new ArgumentException("Prefill needs at least one token.", nameof(tokens));
        CheckTokens(tokens);
        var rows = allLogits ? tokens.Length : 1;
        CheckLogits(logits, rows);
        ReadOnlySpan<int> slots = [slot];
        _forward.Run(tokens, slots, sequenceLength: tokens.Length, logits[..(rows * LogitsWidth)], allLogits);
    }

    public void Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        if (slots.Length != tokens.Length)
            throw new ArgumentException($"Decode got {slots.Length} slots but {tokens.Length} tokens.", nameof(tokens));
        if (slots.IsEmpty) return;
        for (var i = 0; i < slots.Length; i++)
        {
            var s = slots[i];
            _state.CheckSlot(s);
            // A scan of the earlier entries (a batch is at most the pool size): no set allocated on every decode.
            if (slots[..i].Contains(s)) throw new ArgumentException($"Slot {s} appears twice in one decode batch.", nameof(slots));
        }
        CheckTokens(tokens);
        CheckLogits(logits, slots.Length);
        _forward.Run(tokens, slots, sequenceLength: 1, logits[..(slots.Length * LogitsWidth)], allLogits: true);
    }

    public void CopySlot(int source, int destination) => _state.Copy(source, destination);
    public void ZeroSlot(int slot) => _state.Zero(slot);
    public StateSnapshot Snapshot(int slot) => _state.Snapshot(slot);
    public void Restore(int slot, StateSnapshot snapshot) => _state.Restore(slot, snapshot);

    private void CheckTokens(ReadOnlySpan<int> tokens)
    {
        foreach (var t in tokens)
            if ((uint)t >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), t, $"Token id must be in [0, {Config.VocabSize}).");
    }

    private void CheckLogits(Span<float> logits, int rows)
    {
        if (logits.Length < (long)rows * LogitsWidth)
            throw new ArgumentException($"Logits buffer holds {logits.Length} floats; {rows} x {LogitsWidth} needed.", nameof(logits));
    }

    public void Dispose()
    {
        _state.Dispose();
        _weights.Dispose();
    }
}
