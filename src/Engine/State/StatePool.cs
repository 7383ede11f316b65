namespace MambaServe.Engine.State;

/// <summary>
/// Leases the runner's state slots to sequences. A stack of free slot ids makes lease and release O(1); a slot is
/// reset (zeroed) as it is leased so a new sequence never sees an old one's state. Not thread-safe: only the engine
/// loop thread uses it.
/// </summary>
public sealed class StatePool
{
    private readonly Stack<int> _free;
    private readonly bool[] _leased;
    private readonly Action<int> _resetSlot;

    /// <param name="slotCount">Slots 0..slotCount-1, e.g. <c>IModelRunner.SlotCount</c>.</param>
    /// <param name="resetSlot">Zeroes a slot's state, e.g. <c>IModelRunner.ZeroSlot</c>.</param>
    public StatePool(int slotCount, Action<int> resetSlot)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 1);
        ArgumentNullException.ThrowIfNull(resetSlot);
        _resetSlot = resetSlot;
        _leased = new bool[slotCount];
        _free = new Stack<int>(slotCount);
        // Pushed in reverse so slot 0 is leased first: easier to read in logs and tests.
        for (int slot = slotCount - 1; slot >= 0; slot--)
        {
            _free.Push(slot);
        }
    }

    public int Total => _leased.Length;

    public int InUse => _leased.Length - _free.Count;

    public int Free => _free.Count;

    /// <summary>Leases a zeroed slot, or returns false when none is free.</summary>
    public bool TryLease(out int slot)
    {
        if (!_free.TryPop(out slot))
        {
            return false;
        }

        try
        {
            _resetSlot(slot);
        }
        catch
        {
            _free.Push(slot);
            throw;
        }

        _leased[slot] = true;
        return true;
    }

    /// <summary>Returns a slot to the pool. Releasing a slot that is not leased is a bug and throws.</summary>
    public void Release(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, _leased.Length);
        if (!_leased[slot])
        {
            throw new InvalidOperationException($"Slot {slot} is not leased.");
        }

        _leased[slot] = false;
        _free.Push(slot);
    }
}
