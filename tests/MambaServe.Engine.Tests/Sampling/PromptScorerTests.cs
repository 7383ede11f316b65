using MambaServe.Engine.Sampling;
using static MambaServe.Engine.Tests.Sampling.SamplerTestData;

namespace MambaServe.Engine.Tests.Sampling;

public sealed class PromptScorerTests
{
    [Fact]
    public void Score_RandomLogits_RankIsOnePlusLargerEntriesOfTheSampleableVocab()
    {
        var random = NewRandom();
        const int width = 12, vocab = 10; // two padding columns
        var scorer = new PromptScorer(vocab);
        for (var trial = 0; trial < 20; trial++)
        {
            var row = RandomLogits(random, width);
            row[10] = row[11] = 1e6f; // padding must not count ahead of any token
            var token = random.Next(vocab);

            var scored = scorer.Score(row, token, topN: vocab);

            var expected = 1 + row.Take(vocab).Count(v => v > row[token]);
            Assert.Equal(expected, scored.Rank);
            // The full top list orders the vocab: the token sits at its rank.
            Assert.Equal(token, scored.Top[scored.Rank!.Value - 1].TokenId);
        }
    }

    [Fact]
    public void Score_Argmax_RankOne()
    {
        float[] row = [0.5f, 3f, -1f, 2.9f];

        var scored = new PromptScorer(4).Score(row, 1, topN: 2);

        Assert.Equal(1, scored.Rank);
        Assert.Equal(1, scored.Top[0].TokenId);
        Assert.Equal(3, new PromptScorer(4).Score(row, 0, 0).Rank);
        Assert.Equal(4, new PromptScorer(4).Score(row, 2, 0).Rank);
    }

    [Fact]
    public void Score_Ties_LowerIdRanksFirstAsInTheTopList()
    {
        float[] row = [1f, 2f, 2f, 2f];
        var scorer = new PromptScorer(4);

        Assert.Equal(1, scorer.Score(row, 1, 0).Rank);
        Assert.Equal(3, scorer.Score(row, 3, 0).Rank);
        Assert.Equal([1, 2, 3], scorer.Score(row, 3, 3).Top.Select(t => t.TokenId));
    }
}
