using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Generation;

/// <summary>One request as the engine sees it: already tokenized, already validated.</summary>
/// <param name="N">Independent samples from the one prompt (prefilled once, state forked).</param>
/// <param name="Priority">Lower runs first; FCFS within a priority.</param>
/// <param name="Timeout">Wall time from admission after which the request ends with an error.</param>
/// <param name="Start">
/// A state to start from instead of zero: the prompt then holds only the tokens that follow it (the prefix cache is
/// neither read nor written for such a prompt, whose tokens do not start at zero).
/// </param>
/// <param name="SaveState">Receives the final state when the request ends by length or a stop token; only with N = 1.</param>
/// <param name="CacheSalt">
/// vLLM's cache_salt: the prompt's prefixes are looked up in and stored to the prefix-state cache under this salt only,
/// so requests share cached prefixes only with requests of the same salt (null: the unsalted partition).
/// </param>
/// <param name="Constraint">
/// A grammar every sample's output follows (structured outputs), each sample from its own start; it should end only
/// with the model's EOS, so EOS must not be ignored.
/// </param>
/// <param name="WrapUp">
/// Fires when the caller wants the request to end early but well (a Responses WebSocket's steer): at its next sampled
/// token every sample ends as if its budget were spent (<see cref="FinishReason.Length"/>, the text flushed, the state
/// saved with that token pending, or with it fed where a batch begun ahead took it), so the output is whole and its
/// state can be continued.
/// </param>
public sealed record GenerationRequest(
    string RequestId,
    IReadOnlyList<int> PromptTokens,
    SamplingParams Sampling,
    int N = 1,
    int Priority = 0,
    TimeSpan? Timeout = null,
    InitialState? Start = null,
    IStateSink? SaveState = null,
    string? CacheSalt = null,
    ITokenConstraintFactory? Constraint = null,
    CancellationToken WrapUp = default);
