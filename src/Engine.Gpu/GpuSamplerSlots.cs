using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Gpu;

/// <summary>
/// What the runner remembers of each slot's device sampler: which sample it belongs to and how many tokens that
/// sample drew (the RNG position). A target whose <see cref="SequenceSampling"/> differs from the slot's restarts the
/// device sampler state (<c>reset</c>). Changes are staged per step and kept only when the step succeeded, so a
/// refused step leaves nothing half-applied. Owned by the runner's thread.
/// </summary>
internal sealed class GpuSamplerSlots
{
    private readonly NativeSampling?[] _current;
    private readonly int[] _position;
    private readonly NativeSampling?[] _staged;

    public GpuSamplerSlots(int slots)
    {
        _current = new NativeSampling?[slots];
        _position = new int[slots];
        _staged = new NativeSampling?[slots];
    }

    /// <summary>The sampler inputs of <paramref name="target"/> this step: its native sampling, reset flag and position.</summary>
    public (NativeSampling Sampling, bool Reset, int Position) Stage(SampleTarget target)
    {
        int slot = target.Slot;
        if (_current[slot] is { } current && ReferenceEquals(current.Sampling, target.Sampling))
        {
            _staged[slot] = current;
            return (current, false, _position[slot]);
        }

        var fresh = _staged[slot] is { } staged && ReferenceEquals(staged.Sampling, target.Sampling) ? staged : new NativeSampling(target.Sampling);
        _staged[slot] = fresh;
        return (fresh, true, 0);
    }

    /// <summary>The step ran: each target's slot now belongs to its sample, one token further.</summary>
    public void Commit(SampleTarget target)
    {
        int slot = target.Slot;
        var staged = _staged[slot]!;
        _position[slot] = ReferenceEquals(_current[slot], staged) ? _position[slot] + 1 : 1;
        _current[slot] = staged;
    }

    /// <summary>The slot starts a new sequence: its next target resets the device sampler.</summary>
    public void Forget(int slot)
    {
        _current[slot] = null;
        _staged[slot] = null;
    }
}
