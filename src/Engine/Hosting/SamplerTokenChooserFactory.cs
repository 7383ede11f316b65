using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Scheduling;

namespace MambaServe.Engine.Hosting;

/// <summary>Connects the engine loop's token choice to <see cref="SequenceSampler"/> and prompt scoring.</summary>
/// <param name="sampleableVocab">Ids at or above it are vocab padding: never sampled, never in a softmax.</param>
public sealed class SamplerTokenChooserFactory(int sampleableVocab) : ITokenChooserFactory
{
    public ITokenChooser Create(SamplingParams sampling, IReadOnlyList<int> promptTokens, long seed) =>
        new Chooser(new SequenceSampler(sampling, sampleableVocab, promptTokens, seed));

    public TokenLogprob ScorePromptToken(ReadOnlySpan<float> logitsRow, int tokenId, int topN)
    {
        var row = logitsRow[..sampleableVocab];
        var logNorm = LogitMath.LogSumExp(row);
        var top = LogitMath.TopN(row, topN, logNorm, new PriorityQueue<int, (float, int)>());
        return new TokenLogprob(tokenId, row[tokenId] - logNorm, top);
    }

    private sealed class Chooser(SequenceSampler sampler) : ITokenChooser
    {
        public ChosenToken Choose(ReadOnlySpan<float> logits)
        {
            var s = sampler.Sample(logits);
            return new ChosenToken(s.TokenId, s.Logprob, s.Top);
        }
    }
}
