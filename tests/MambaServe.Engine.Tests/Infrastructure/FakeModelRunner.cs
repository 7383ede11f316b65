using MambaServe.Engine.Backends;
using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Tests.Infrastructure;

/// <summary>
/// A deterministic stand-in for a model: a slot's "state" is a 64-bit hash chained over every token it has seen, and a
/// logits row is a pure function of that state. So two slots that saw the same tokens give identical logits whatever
/// else is batched with them, and a restored snapshot continues exactly like a full prefill. Like the real runners'
/// contract, a call that throws changes no slot. Records calls for assertions.
/// </summary>
internal sealed class FakeModelRunner : IModelRunner
{
    private readonly ulong[] _states;
    private readonly int _ssmFloats;

    public FakeModelRunner(int slotCount = 8, int logitsWidth = 50, int? eosTokenId = null, int ssmFloats = 60)
    {
        _states = new ulong[slotCount];
        _ssmFloats = ssmFloats;
        LogitsWidth = logitsWidth;
        Config = new MambaConfig(
            DModel: 8, NLayer: 1, VocabSize: logitsWidth, UnpaddedVocabSize: logitsWidth, DState: 4, DConv: 4,
            DInner: 16, DtRank: 1, ProjBias: false, ConvBias: true, TieEmbeddings: true, NormEpsilon: 1e-5f,
            ResidualInFp32: true, EosTokenId: eosTokenId, BosTokenId: null, PadTokenId: null);
    }

    public MambaConfig Config { get; }

    public int SlotCount => _states.Length;

    public int LogitsWidth { get; }

    /// <summary>Any Prefill or Decode whose input contains this (slot, token) pair throws (token -1: any token).</summary>
    public Func<int, int, bool>? FailWhen { get; set; }

    /// <summary>Called on entry to every Prefill (e.g. to block the engine thread in a test).</summary>
    public Action? OnPrefill { get; set; }

    public List<(int Slot, int Length)> PrefillCalls { get; } = [];

    public List<int> DecodeBatchSizes { get; } = [];

    public int CopyCount { get; private set; }

    public int ZeroCount { get; private set; }

    public int RestoreCount { get; private set; }

    public int SnapshotCount { get; private set; }

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

    public void Prefill(int slot, ReadOnlySpan<int> tokens, Span<float> logits, bool allLogits)
    {
        OnPrefill?.Invoke();
        CheckSlot(slot);
        foreach (int token in tokens)
        {
            CheckFailure(slot, token);
        }

        PrefillCalls.Add((slot, tokens.Length));
        ulong state = _states[slot];
        for (int i = 0; i < tokens.Length; i++)
        {
            state = Mix(state, tokens[i]);
            if (allLogits)
            {
                WriteLogits(state, logits.Slice(i * LogitsWidth, LogitsWidth));
            }
        }

        if (!allLogits)
        {
            WriteLogits(state, logits[..LogitsWidth]);
        }

        _states[slot] = state;
    }

    public void Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        var seen = new HashSet<int>();
        for (int i = 0; i < slots.Length; i++)
        {
            CheckSlot(slots[i]);
            CheckFailure(slots[i], tokens[i]);
            if (!seen.Add(slots[i]))
            {
                throw new ArgumentException($"Slot {slots[i]} twice in one batch.");
            }
        }

        DecodeBatchSizes.Add(slots.Length);
        for (int i = 0; i < slots.Length; i++)
        {
            _states[slots[i]] = Mix(_states[slots[i]], tokens[i]);
            WriteLogits(_states[slots[i]], logits.Slice(i * LogitsWidth, LogitsWidth));
        }
    }

    public void CopySlot(int source, int destination)
    {
        CopyCount++;
        _states[destination] = _states[source];
    }

    public void ZeroSlot(int slot)
    {
        ZeroCount++;
        _states[slot] = 0;
    }

    public StateSnapshot Snapshot(int slot)
    {
        SnapshotCount++;
        ulong state = _states[slot];
        // 16 bits per float keeps every chunk exactly representable.
        var conv = new float[4];
        for (int i = 0; i < 4; i++)
        {
            conv[i] = (state >> (16 * i)) & 0xFFFF;
        }

        return new StateSnapshot(conv, new float[_ssmFloats]);
    }

    public void Restore(int slot, StateSnapshot snapshot)
    {
        RestoreCount++;
        ulong state = 0;
        for (int i = 0; i < 4; i++)
        {
            state |= (ulong)snapshot.Conv[i] << (16 * i);
        }

        _states[slot] = state;
    }

    public void Dispose()
    {
    }

    private static ulong Mix(ulong state, int token)
    {
        ulong z = state + 0x9E3779B97F4A7C15UL * (ulong)(token + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private void WriteLogits(ulong state, Span<float> row)
    {
        for (int j = 0; j < row.Length; j++)
        {
            ulong h = Mix(state, 1_000_003 + j);
            row[j] = (float)((h >> 40) / (double)(1UL << 24) * 8.0 - 4.0);
        }
    }

    private void CheckSlot(int slot) => ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)_states.Length);

    private void CheckFailure(int slot, int token)
    {
        if (FailWhen?.Invoke(slot, token) == true)
        {
            throw new InvalidOperationException($"Injected failure for slot {slot}, token {token}.");
        }
    }
}
