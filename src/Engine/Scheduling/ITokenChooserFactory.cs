using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Scheduling;

/// <summary>
/// Makes the per-sample token choosers and scores prompt tokens; the only sampling surface the engine loop sees.
/// The production adapter wraps <c>Sampling.SequenceSampler</c> and <c>Sampling.PromptLogprobs</c> and knows the
/// sampleable (unpadded) vocab size.
/// </summary>
public interface ITokenChooserFactory
{
    /// <param name="seed">Already resolved per sample (request seed + sample index).</param>
    ITokenChooser Create(SamplingParams sampling, IReadOnlyList<int> promptTokens, long seed);

    /// <summary>
    /// The log-probability of <paramref name="tokenId"/> under <paramref name="logitsRow"/> (the raw logits of the
    /// position before it) and the <paramref name="topN"/> most likely ids there.
    /// </summary>
    TokenLogprob ScorePromptToken(ReadOnlySpan<float> logitsRow, int tokenId, int topN);
}
