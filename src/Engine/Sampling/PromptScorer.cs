using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Sampling;

/// <summary>Log-softmax over the sampleable vocab, as <see cref="SequenceSampler"/> reports logprobs, and the token's rank there.</summary>
/// <param name="sampleableVocab">Ids at or above it are vocab padding: never in a softmax.</param>
public sealed class PromptScorer(int sampleableVocab) : IPromptScorer
{
    private readonly PriorityQueue<int, (float, int)> _heap = new();

    public TokenLogprob Score(ReadOnlySpan<float> logitsRow, int tokenId, int topN)
    {
        var row = logitsRow[..sampleableVocab];
        var logNorm = LogitMath.LogSumExp(row);
        var top = LogitMath.TopN(row, topN, logNorm, _heap);
        return new TokenLogprob(tokenId, row[tokenId] - logNorm, top, LogitMath.Rank(row, tokenId));
    }
}
