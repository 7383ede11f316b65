using MambaServe.Engine.Sampling;
using static MambaServe.Engine.Tests.Sampling.SamplerTestData;

namespace MambaServe.Engine.Tests.Sampling;

public sealed class PromptLogprobsTests
{
    [Fact]
    public void Compute_RandomLogits_MatchesHandLogSoftmaxOfPreviousRow()
    {
        var random = NewRandom();
        const int width = 9, vocab = 7; // two padding columns
        int[] tokens = [3, 0, 6, 3, 1];
        var logits = RandomLogits(random, tokens.Length * width);
        for (var t = 0; t < tokens.Length; t++)
        {
            logits[t * width + 8] = 80f; // padding must not enter the softmax
        }

        var result = PromptLogprobs.Compute(logits, width, tokens, topN: 3, sampleableVocab: vocab);

        Assert.Equal(tokens.Length, result.Count);
        Assert.Equal(3, result[0].TokenId);
        Assert.Null(result[0].Logprob);
        Assert.Empty(result[0].Top);
        Assert.Null(result[0].Rank);
        for (var t = 1; t < tokens.Length; t++)
        {
            var expected = LogSoftmax(logits.AsSpan((t - 1) * width, vocab));
            var expectedTop = expected.Select((l, i) => (i, l)).OrderByDescending(x => x.l).Take(3).ToArray();
            Assert.Equal(tokens[t], result[t].TokenId);
            Assert.Equal(expected[tokens[t]], result[t].Logprob!.Value, 1e-5);
            Assert.Equal(expectedTop.Select(x => x.i), result[t].Top.Select(x => x.TokenId));
            Assert.All(result[t].Top.Zip(expectedTop), p => Assert.Equal(p.Second.l, p.First.Logprob, 1e-5));
            Assert.Equal(1 + expected.Count(l => l > expected[tokens[t]]), result[t].Rank);
        }
    }

    [Fact]
    public void Compute_TopNZero_NoAlternatives()
    {
        var logits = RandomLogits(NewRandom(), 3 * 5);

        var result = PromptLogprobs.Compute(logits, 5, [1, 2, 3], 0, 5);

        Assert.All(result, r => Assert.Empty(r.Top));
        Assert.All(result.Skip(1), r => Assert.True(r.Logprob < 0));
    }

    [Fact]
    public void Compute_TooFewRows_Throws()
    {
        Assert.Throws<ArgumentException>(() => PromptLogprobs.Compute(new float[5], 5, [1, 2, 3], 1, 5));
    }
}
