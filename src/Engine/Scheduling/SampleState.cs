namespace MambaServe.Engine.Scheduling;

/// <summary>One sample of a request: its slot, chooser and text stream once prefill is done. Engine loop only.</summary>
internal sealed class SampleState(SequenceGroup group, int index)
{
    public SequenceGroup Group { get; } = group;

    public int Index { get; } = index;

    /// <summary>Leased slot, or -1 when none is held (not admitted yet, or already released).</summary>
    public int Slot { get; set; } = -1;

    public ITokenChooser? Chooser { get; set; }

    public ITextStream? Text { get; set; }

    /// <summary>Last chosen token: the input of this sample's next decode.</summary>
    public int LastToken { get; set; }

    public int Generated { get; set; }

    public bool Finished { get; set; }
}
