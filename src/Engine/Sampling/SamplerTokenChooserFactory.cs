using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Sampling;

/// <summary>Chooses tokens with <see cref="SequenceSampler"/>: the host sampler of the CPU runner.</summary>
/// <param name="sampleableVocab">Ids at or above it are vocab padding: never sampled, never in a softmax.</param>
public sealed class SamplerTokenChooserFactory(int sampleableVocab) : ITokenChooserFactory
{
    public ITokenChooser Create(SequenceSampling sampling) =>
        new Chooser(new SequenceSampler(sampling.Parameters, sampleableVocab, sampling.PromptTokens, sampling.Seed));

    private sealed class Chooser(SequenceSampler sampler) : ITokenChooser
    {
        public ChosenToken Choose(ReadOnlySpan<float> logits, IReadOnlyList<int> banned, TokenMask grammar)
        {
            var s = sampler.Sample(logits, banned, grammar);
            return new ChosenToken(s.TokenId, s.Logprob, s.Top);
        }
    }
}
