using MambaServe.Engine.Loading;

namespace MambaServe.Engine.State;

/// <summary>
/// How many recurrent-state slots to preallocate: either <see cref="SlotCount"/> directly, or as many as fit in
/// <see cref="MemoryBudgetBytes"/>. A slot's size is constant per model (Mamba has no KV cache that grows with the
/// sequence), so the slot count is the maximum number of concurrently running sequences.
/// </summary>
public sealed record StatePoolOptions
{
    /// <summary>Explicit slot count; wins over <see cref="MemoryBudgetBytes"/> when both are set.</summary>
    public int? SlotCount { get; init; }

    /// <summary>Bytes to spend on slot state when <see cref="SlotCount"/> is not set.</summary>
    public long? MemoryBudgetBytes { get; init; }

    /// <summary>
    /// Most slots a pool the runner sizes itself may take (the GPU runner sizes its pool from free device memory when
    /// neither <see cref="SlotCount"/> nor <see cref="MemoryBudgetBytes"/> is set); the server sets it to the
    /// scheduler's MaxRunningSequences, since more slots than sequences that can run would only hold memory. Without a
    /// count or budget, <see cref="ResolveSlotCount"/> returns it (else <see cref="DefaultSlotCount"/>).
    /// </summary>
    public int? SlotLimit { get; init; }

    /// <summary>Storage type of the SSM state; the runner decides how to honour it.</summary>
    public StateDType SsmStateDType { get; init; } = StateDType.Float32;

    /// <summary>Used when neither a count nor a budget is given.</summary>
    public const int DefaultSlotCount = 64;

    /// <summary>Bytes one slot takes: conv state in fp32 plus SSM state in <see cref="SsmStateDType"/> (an upper bound
    /// on the GPU, whose conv state is in the weight type).</summary>
    public long BytesPerSlot(MambaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int ssmElementSize = SsmStateDType == StateDType.BFloat16 ? 2 : 4;
        return config.ConvStateElementsPerSlot * sizeof(float) + config.SsmStateElementsPerSlot * ssmElementSize;
    }

    /// <summary>The slot count to allocate for <paramref name="config"/>; at least one.</summary>
    public int ResolveSlotCount(MambaConfig config)
    {
        if (SlotCount is { } count)
        {
            return count >= 1 ? count : throw new ArgumentOutOfRangeException(nameof(SlotCount), count, "Must be at least 1.");
        }

        if (MemoryBudgetBytes is { } budget)
        {
            long slots = budget / Math.Max(1, BytesPerSlot(config));
            if (slots < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(MemoryBudgetBytes), budget,
                    $"Budget is below one slot ({BytesPerSlot(config)} bytes).");
            }

            return (int)Math.Min(slots, int.MaxValue);
        }

        return SlotLimit is >= 1 ? SlotLimit.Value : DefaultSlotCount;
    }
}
