namespace MambaServe.Engine.Generation;

/// <summary>
/// What the engine reports for one sample of a request after a step: new tokens, the text they complete (never a
/// broken UTF-8 character), their logprobs, and on the last update the finish reason and usage.
/// </summary>
public sealed record GenerationUpdate(
    int SampleIndex,
    IReadOnlyList<int> TokenIds,
    string TextDelta,
    IReadOnlyList<TokenLogprob>? Logprobs = null,
    FinishReason? Finish = null,
    GenerationUsage? Usage = null,
    IReadOnlyList<TokenLogprob>? PromptLogprobs = null);
