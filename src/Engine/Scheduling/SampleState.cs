using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Scheduling;

/// <summary>One sample of a request: its slot, and its sampling and text stream once its prompt is in. Engine loop only.</summary>
internal sealed class SampleState(SequenceGroup group, int index)
{
    public SequenceGroup Group { get; } = group;

    public int Index { get; } = index;

    /// <summary>Leased slot, or -1 when none is held (not admitted yet, or already released).</summary>
    public int Slot { get; set; } = -1;

    /// <summary>How the runner samples this sample's tokens; the same instance for its whole life.</summary>
    public SequenceSampling? Sampling { get; set; }

    public ITextStream? Text { get; set; }

    /// <summary>The grammar this sample's output follows (structured outputs), from its first token on; null: none.</summary>
    public Generation.ITokenConstraint? Constraint { get; set; }

    /// <summary>The tokens chosen so far, in order.</summary>
    public List<int> Output { get; } = [];

    public int Generated => Output.Count;

    /// <summary>Last chosen token: the input of this sample's next decode.</summary>
    public int LastToken => Output[^1];

    /// <summary>
    /// How many of <see cref="Output"/> the slot's state holds once every batch begun with this sample has run: the
    /// last chosen token is fed by the next step (or by a step begun ahead), so this trails <see cref="Generated"/>. A
    /// stop token that ends the sample is never fed (a step begun ahead holds it back).
    /// </summary>
    public int FedTokens { get; set; }

    public bool Finished { get; set; }
}
