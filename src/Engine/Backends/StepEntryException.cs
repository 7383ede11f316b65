namespace MambaServe.Engine.Backends;

/// <summary>
/// <see cref="IModelRunner.Step"/> found entry <see cref="EntryIndex"/> of its batch invalid (a token id outside the
/// vocab, a bad or repeated slot) and changed no state. The engine fails that entry's request and runs the rest again.
/// </summary>
public sealed class StepEntryException : Exception
{
    public StepEntryException(int entryIndex, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(entryIndex);
        EntryIndex = entryIndex;
    }

    /// <summary>Index into <see cref="StepBatch.Entries"/>.</summary>
    public int EntryIndex { get; }
}
