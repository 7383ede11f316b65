using MambaServe.Engine.Loading;
using MambaServe.Engine.State;

namespace MambaServe.Engine.Gpu;

/// <summary>
/// How many state slots a GPU model gets. <c>StatePool:SlotCount</c> wins; else a <c>MemoryBudgetBytes</c>; else as
/// many as fit in the device memory free after the weights, less a margin (step buffers, snapshots of the prefix
/// cache, the BLAS library's own allocations), up to <c>SlotLimit</c> (the scheduler's running limit) or
/// <see cref="DefaultLimit"/>.
/// </summary>
internal static class GpuPoolSizing
{
    /// <summary>Most slots of a pool sized from memory when no limit is given.</summary>
    public const int DefaultLimit = 256;

    private const long MinMarginBytes = 1L << 30;

    /// <summary>
    /// The most slots the pool can have, known before the model exists (it bounds the decode batch and the graphs
    /// captured): the count, or a budget's worth at <paramref name="approxBytesPerSlot"/>, or the limit.
    /// </summary>
    public static int Cap(StatePoolOptions pool, long approxBytesPerSlot) =>
        pool.SlotCount is { } count ? count
        : pool.MemoryBudgetBytes is { } budget ? (int)Math.Clamp(budget / Math.Max(1, approxBytesPerSlot), 1, int.MaxValue)
        : pool.SlotLimit ?? DefaultLimit;

    /// <summary>Bytes left free when the pool is sized from memory.</summary>
    public static long Margin(long freeBytes) => Math.Max(MinMarginBytes, freeBytes / 10);

    /// <summary>The slot count, from the model's own per-slot bytes and the free memory after the weights.</summary>
    /// <exception cref="InsufficientMemoryException">Not even one slot fits, or the budget is below one slot.</exception>
    public static int Resolve(StatePoolOptions pool, int cap, long bytesPerSlot, long freeBytes, string device)
    {
        if (pool.SlotCount is { } count)
        {
            return count;
        }

        if (pool.MemoryBudgetBytes is { } budget)
        {
            long slots = budget / bytesPerSlot;
            return slots >= 1 ? (int)Math.Min(slots, cap)
                : throw new InsufficientMemoryException($"StatePool:MemoryBudgetBytes {budget} is below one slot ({bytesPerSlot} bytes).");
        }

        long fit = (freeBytes - Margin(freeBytes)) / bytesPerSlot;
        return fit >= 1 ? (int)Math.Min(fit, cap)
            : throw new InsufficientMemoryException(
                $"The state pool does not fit: one slot takes {Units.Bytes(bytesPerSlot)} and {device} has {Units.Bytes(freeBytes)} free after the " +
                $"weights, of which {Units.Bytes(Margin(freeBytes))} is kept free. Use a smaller model, a bf16 state (StatePool:SsmStateDType) or a device with more memory.");
    }

    /// <summary>Weight bytes of a model of <paramref name="config"/> at <paramref name="dtypeSize"/> bytes per matrix element (for messages).</summary>
    public static long WeightBytes(MambaConfig config, int dtypeSize) => config.ParameterCount * dtypeSize;
}
