namespace MambaServe.Engine.Scheduling;

/// <summary>Prompt tokens [Start, Start + Length) of a group to prefill this step.</summary>
internal readonly record struct PrefillChunk(SequenceGroup Group, int Start, int Length)
{
    public bool CompletesPrompt => Start + Length == Group.Prompt.Length;
}
