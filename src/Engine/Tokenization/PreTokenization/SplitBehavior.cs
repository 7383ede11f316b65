namespace MambaServe.Engine.Tokenization.PreTokenization;

/// <summary>
/// What a split does with the spans its pattern matched (HF tokenizers' SplitDelimiterBehavior, as tokenizer.json
/// spells it): drop them, keep each alone, join each to the piece before or after it, or join runs of them.
/// </summary>
internal enum SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}
