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
    public SequenceSampling(SamplingParams parameters, long seed, IReadOnlyList<int> promptTokens)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(promptTokens);
        Parameters = parameters;
        Seed = seed;
        PromptTokens = promptTokens;
    }

    public SamplingParams Parameters { get; }

    /// <summary>Already resolved per sample (request seed + sample index): same seed, same tokens.</summary>
    public long Seed { get; }

    public IReadOnlyList<int> PromptTokens { get; }
}
