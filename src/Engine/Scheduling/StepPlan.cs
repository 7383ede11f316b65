namespace MambaServe.Engine.Scheduling;

/// <summary>What one engine step runs: one batched decode and some prefill chunks. Reused between steps.</summary>
internal sealed class StepPlan
{
    public List<SampleState> Decodes { get; } = [];

    public List<PrefillChunk> Prefills { get; } = [];

    /// <summary>Groups that left the waiting queue this step (the admission gate releases them).</summary>
    public List<SequenceGroup> Admitted { get; } = [];

    public int TokenCount { get; set; }

    public bool IsEmpty => Decodes.Count == 0 && Prefills.Count == 0;

    public void Clear()
    {
        Decodes.Clear();
        Prefills.Clear();
        Admitted.Clear();
        TokenCount = 0;
    }
}
