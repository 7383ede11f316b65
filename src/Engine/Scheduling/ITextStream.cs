namespace MambaServe.Engine.Scheduling;

/// <summary>
/// Turns one sample's generated tokens into text deltas and detects stop strings. One instance per sample, used by
/// one thread: the engine loop's, or for a sample without stop strings the update outbox's (UpdateOutbox). Adapter
/// target: <c>Tokenization.StreamingDetokenizer.Push</c> piped into <c>Sampling.StopStringMatcher.Push</c>.
/// </summary>
public interface ITextStream
{
    /// <param name="mayStop">
    /// False for the first min_tokens tokens of the sample: their text is never the end of a stop string (it may be the
    /// start of one that ends in a later token's text), so <see cref="TextStep.Stopped"/> stays false.
    /// </param>
    TextStep Push(int tokenId, bool mayStop);

    /// <summary>
    /// Text still held back when the sequence ends without a stop string (length, EOS or stop token): detokenizer
    /// flush piped through the matcher, then the matcher's flush.
    /// </summary>
    string Flush();
}
