using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Sampling;

/// <summary>
/// Sampling on the host, for runners that have each sampled row's logits in host memory (the CPU runner and the
/// test fakes; the GPU runner samples on the device). Keeps one <see cref="ITokenChooser"/> per slot and makes a new
/// one whenever a target brings a different <see cref="SequenceSampling"/> instance to that slot (a new sequence, or
/// a sample forked there), so each chooser's RNG position and penalty counts follow exactly one sample. Calls for
/// different slots may run at once (each touches only its slot's chooser; the CPU runner draws a step's targets over
/// its cores), never two for one slot, and <see cref="Forget"/> never during a step's draws.
/// </summary>
public sealed class HostSampler
{
    private readonly ITokenChooserFactory _factory;
    private readonly ITokenChooser?[] _choosers;
    private readonly SequenceSampling?[] _owners;

    public HostSampler(ITokenChooserFactory factory, int slotCount)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 1);
        _factory = factory;
        _choosers = new ITokenChooser?[slotCount];
        _owners = new SequenceSampling?[slotCount];
    }

    /// <summary>Chooses <paramref name="target"/>'s token from <paramref name="logitsRow"/>; a failure is the target's <see cref="SampleTarget.Error"/>.</summary>
    public void Sample(SampleTarget target, ReadOnlySpan<float> logitsRow)
    {
        int slot = target.Slot;
        try
        {
            if (!ReferenceEquals(_owners[slot], target.Sampling))
            {
                _owners[slot] = null;
                _choosers[slot] = _factory.Create(target.Sampling);
                _owners[slot] = target.Sampling;
            }

            target.SetChosen(_choosers[slot]!.Choose(logitsRow, target.BanStopTokens ? target.Sampling.MinTokensBans : [], target.GrammarBans));
        }
        catch (Exception ex)
        {
            target.SetError(ex);
        }
    }

    /// <summary>Drops a slot's chooser (the slot was reset for a new sequence), so its memory is not kept.</summary>
    public void Forget(int slot)
    {
        _choosers[slot] = null;
        _owners[slot] = null;
    }
}
