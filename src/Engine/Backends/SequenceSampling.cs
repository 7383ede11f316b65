using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Backends;

/// <summary>
/// How one sample chooses its tokens, for its whole life: the request's sampling parameters, the sample's own seed
/// and the prompt (the repetition penalty's initial set). One instance per sample: a runner keeps sampler state per
/// slot (RNG position, penalty counts) and starts it afresh whenever a different instance arrives on a slot, which is
/// how sampling parameters travel with the step without a call of their own. Immutable.
/// </summary>
public sealed class SequenceSampling
{
    /// <param name="minTokensBans">See <see cref="MinTokensBans"/>; null: none.</param>
    /// <param name="stopTokens">See <see cref="StopTokens"/>; null: none.</param>
    public SequenceSampling(SamplingParams parameters, long seed, IReadOnlyList<int> promptTokens, IReadOnlyList<int>? minTokensBans = null,
        IReadOnlyList<int>? stopTokens = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(promptTokens);
        Parameters = parameters;
        Seed = seed;
        PromptTokens = promptTokens;
        MinTokensBans = minTokensBans ?? [];
        StopTokens = stopTokens ?? [];
    }

    public SamplingParams Parameters { get; }

    /// <summary>Already resolved per sample (request seed + sample index): same seed, same tokens.</summary>
    public long Seed { get; }

    public IReadOnlyList<int> PromptTokens { get; }

    /// <summary>
    /// The token ids a target may not choose while it carries <see cref="SampleTarget.BanStopTokens"/> (its sample is
    /// short of <see cref="SamplingParams.MinTokens"/>): the model's EOS and the request's stop_token_ids, vLLM's
    /// all_stop_token_ids (EOS even with ignore_eos, as vLLM). The engine fills it when min_tokens is set; otherwise
    /// empty.
    /// </summary>
    public IReadOnlyList<int> MinTokensBans { get; }

    /// <summary>
    /// The token ids that end this sample when drawn: the model's EOS (unless ignore_eos) and the request's
    /// stop_token_ids. A batch begun ahead feeds every row the token just drawn before the host has seen it; a row whose
    /// token is one of these is not fed (<see cref="StepEntry.Continues"/>), so a finished sample's slot keeps the state
    /// before its stop token, as it does when steps run in turn. The engine fills it; empty: nothing is held back.
    /// </summary>
    public IReadOnlyList<int> StopTokens { get; }
}
