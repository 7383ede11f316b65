namespace MambaServe.Engine.Scheduling;

/// <summary>What the engine put in one entry of a step's batch: a decoding sample's token, or a prefill chunk.</summary>
internal readonly record struct PlannedEntry(SampleState? Decode, PrefillChunk Chunk)
{
    public SequenceGroup Group => Decode?.Group ?? Chunk.Group;
}
