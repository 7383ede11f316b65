using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Gpu;

/// <summary>
/// What the runner remembers of each slot's device sampler: which sample it belongs to and how many tokens that
/// sample drew (the RNG position). A target whose <see cref="SequenceSampling"/> differs from the slot's restarts the
/// device sampler state (<c>reset</c>). A target counts as drawn once it is staged, because a step begun ahead is
/// staged before the step in flight has ended (the device keeps the same order); a step the library refuses before
/// changing any state is rolled back (<see cref="Rollback"/>). Owned by the runner's thread.
/// </summary>
internal sealed class GpuSamplerSlots
{
    private readonly NativeSampling?[] _current;
    private readonly int[] _position;
    private readonly List<(int Slot, NativeSampling? Sampling, int Position)> _undo = [];

    public GpuSamplerSlots(int slots)
    {
        _current = new NativeSampling?[slots];
        _position = new int[slots];
    }

    /// <summary>The slot's sampling for this target, whether the device must reset it, and the target's RNG position.</summary>
    public (NativeSampling Sampling, bool Reset, int Position) Stage(SampleTarget target)
    {
        int slot = target.Slot;
        _undo.Add((slot, _current[slot], _position[slot]));
        if (_current[slot] is { } current && ReferenceEquals(current.Sampling, target.Sampling))
        {
            return (current, false, _position[slot]++);
        }

        var fresh = new NativeSampling(target.Sampling);
        _current[slot] = fresh;
        _position[slot] = 1;
        return (fresh, true, 0);
    }

    /// <summary>The staged targets reached the device (their step was begun, or ran).</summary>
    public void Accept() => _undo.Clear();

    /// <summary>Undoes every stage since the last <see cref="Accept"/> (the library refused the step).</summary>
    public void Rollback()
    {
        for (int i = _undo.Count - 1; i >= 0; i--)
        {
            var (slot, sampling, position) = _undo[i];
            _current[slot] = sampling;
            _position[slot] = position;
        }

        _undo.Clear();
    }

    public void Forget(int slot) => _current[slot] = null;
}
