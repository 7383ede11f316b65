using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Sampling;

/// <summary>Scores prompt tokens (echo with logprobs, prompt_logprobs) on the host, over rows of all-position logits.</summary>
public interface IPromptScorer
{
    /// <summary>
    /// The log-probability of <paramref name="tokenId"/> under <paramref name="logitsRow"/> (the raw logits of the
    /// position before it) and the <paramref name="topN"/> most likely ids there.
    /// </summary>
    TokenLogprob Score(ReadOnlySpan<float> logitsRow, int tokenId, int topN);
}
