using MambaServe.Engine.Sampling;
using static MambaServe.Engine.Tests.Sampling.SamplerTestData;

namespace MambaServe.Engine.Tests.Sampling;

public sealed class SequenceSamplerTests
{
    private static readonly SamplingParams Greedy = new() { Temperature = 0f };

    [Fact]
    public void Sample_TemperatureZero_PicksArgmax()
    {
        var random = NewRandom();
        for (var trial = 0; trial < 20; trial++)
        {
            var logits = RandomLogits(random, 50);
            var expected = Array.IndexOf(logits, logits.Max());
            var sampler = new SequenceSampler(Greedy, 50, [], random.NextInt64());

            Assert.Equal(expected, sampler.Sample(logits).TokenId);
        }
    }

    [Fact]
    public void Sample_PaddedRowHasHighestLogit_NeverPicksIt()
    {
        var random = NewRandom();
        var logits = RandomLogits(random, 12);
        logits[10] = 50f;
        logits[11] = 60f;
        var greedy = new SequenceSampler(Greedy, 10, [], 1);
        var sampled = new SequenceSampler(new SamplingParams { Temperature = 1f }, 10, [], random.NextInt64());

        Assert.Equal(Array.IndexOf(logits, logits[..10].Max()), greedy.Sample(logits).TokenId);
        for (var i = 0; i < 500; i++)
        {
            Assert.InRange(sampled.Sample(logits).TokenId, 0, 9);
        }
    }

    [Fact]
    public void Sample_BannedArgmax_GreedyTakesTheNextAndLogprobsStayRaw()
    {
        var logits = RandomLogits(NewRandom(), 20);
        logits[7] = 30f;
        logits[3] = 20f;
        var sampler = new SequenceSampler(new SamplingParams { Temperature = 0f, Logprobs = 2 }, 20, [], 1);

        var token = sampler.Sample(logits, [7, 25]);

        Assert.Equal(3, token.TokenId);
        var logNorm = MathF.Log(logits.Sum(MathF.Exp));
        Assert.Equal(logits[3] - logNorm, token.Logprob, 4);
        Assert.Equal(7, token.Top[0].TokenId);
        Assert.Equal(logits[7] - logNorm, token.Top[0].Logprob, 4);
    }

    [Theory]
    [InlineData(1f, 1f, 0, 0f)]
    [InlineData(0.8f, 0.9f, 0, 0f)]
    [InlineData(1.5f, 1f, 6, 0f)]
    [InlineData(1f, 1f, 0, 0.01f)]
    public void Sample_BannedIds_NeverDrawnWhateverTheTruncation(float temperature, float topP, int topK, float minP)
    {
        var random = NewRandom();
        var logits = RandomLogits(random, 16, scale: 1f);
        int[] banned = [0, 2, 5, 15];
        foreach (int id in banned)
        {
            logits[id] += 3f; // the likeliest tokens: most draws would pick them
        }
        var sampler = new SequenceSampler(new SamplingParams { Temperature = temperature, TopP = topP, TopK = topK, MinP = minP }, 16, [], random.NextInt64());

        for (var i = 0; i < 2000; i++)
        {
            Assert.DoesNotContain(sampler.Sample(logits, banned).TokenId, banned);
        }
    }

    [Fact]
    public void Sample_GreedyTie_PicksLowestId()
    {
        var logits = RandomLogits(NewRandom(), 8);
        logits[5] = 10f;
        logits[2] = 10f;

        Assert.Equal(2, new SequenceSampler(Greedy, 8, [], 3).Sample(logits).TokenId);
    }

    [Fact]
    public void Sample_SameSeed_SameSequence_DifferentSeed_Differs()
    {
        var random = NewRandom();
        var logits = RandomLogits(random, 30, scale: 1f);
        var seed = random.NextInt64();
        var p = new SamplingParams { Temperature = 1f };
        var a = new SequenceSampler(p, 30, [], seed);
        var b = new SequenceSampler(p, 30, [], seed);
        var c = new SequenceSampler(p, 30, [], seed + 1);
        var other = new SequenceSampler(p, 30, [], seed);

        var seqA = Enumerable.Range(0, 200).Select(_ => a.Sample(logits).TokenId).ToArray();
        // b is interleaved with another sampler: a sequence's draws must not depend on other sequences.
        var seqB = Enumerable.Range(0, 200).Select(_ => { other.Sample(logits); return b.Sample(logits).TokenId; }).ToArray();
        var seqC = Enumerable.Range(0, 200).Select(_ => c.Sample(logits).TokenId).ToArray();

        Assert.Equal(seqA, seqB);
        Assert.NotEqual(seqA, seqC);
    }

    [Fact]
    public void Sample_Temperature_EmpiricalDistributionMatchesSoftmax()
    {
        var random = NewRandom();
        const int vocab = 6, draws = 40_000;
        const float temperature = 0.7f;
        var logits = RandomLogits(random, vocab, scale: 1f);
        var expected = LogSoftmax(logits.Select(l => l / temperature).ToArray()).Select(Math.Exp).ToArray();
        var sampler = new SequenceSampler(new SamplingParams { Temperature = temperature }, vocab, [], random.NextInt64());

        var counts = Histogram(() => sampler.Sample(logits).TokenId, vocab, draws);

        // 5 standard deviations of a binomial proportion at p = 0.5 is 0.0125.
        for (var i = 0; i < vocab; i++)
        {
            Assert.InRange((double)counts[i] / draws, expected[i] - 0.0125, expected[i] + 0.0125);
        }
    }

    [Fact]
    public void Sample_TopK_OnlyTheKMostLikely()
    {
        var random = NewRandom();
        var logits = RandomLogits(random, 20, scale: 0.5f);
        var allowed = logits.Select((l, i) => (l, i)).OrderByDescending(x => x.l).Take(3).Select(x => x.i).ToHashSet();
        var sampler = new SequenceSampler(new SamplingParams { TopK = 3 }, 20, [], random.NextInt64());

        var counts = Histogram(() => sampler.Sample(logits).TokenId, 20, 3000);

        for (var i = 0; i < 20; i++)
        {
            Assert.True(allowed.Contains(i) ? counts[i] > 0 : counts[i] == 0, $"token {i}: {counts[i]} draws");
        }
    }

    [Fact]
    public void Sample_TopP_KeepsSmallestPrefixReachingP()
    {
        var random = NewRandom();
        // Ids in a scrambled order of probability: 3 (0.5), 0 (0.3), 2 (0.15), 1 (0.05).
        var logits = LogitsForProbs(random, 0.3, 0.05, 0.15, 0.5);
        var nucleus = new SequenceSampler(new SamplingParams { TopP = 0.75f }, 4, [], random.NextInt64());
        var single = new SequenceSampler(new SamplingParams { TopP = 0.45f }, 4, [], random.NextInt64());

        var counts = Histogram(() => nucleus.Sample(logits).TokenId, 4, 3000);
        var singleCounts = Histogram(() => single.Sample(logits).TokenId, 4, 300);

        Assert.True(counts[3] > 0 && counts[0] > 0);
        Assert.Equal(0, counts[2] + counts[1]);
        Assert.Equal(300, singleCounts[3]);
    }

    [Fact]
    public void Sample_MinP_DropsTokensBelowFractionOfTop()
    {
        var random = NewRandom();
        var logits = LogitsForProbs(random, 0.15, 0.5, 0.05, 0.3); // min_p 0.2 of 0.5 = 0.1: drops id 2 only
        var sampler = new SequenceSampler(new SamplingParams { MinP = 0.2f }, 4, [], random.NextInt64());

        var counts = Histogram(() => sampler.Sample(logits).TokenId, 4, 4000);

        Assert.Equal(0, counts[2]);
        Assert.All(new[] { 0, 1, 3 }, i => Assert.True(counts[i] > 0));
    }

    [Fact]
    public void Sample_LogitBiasMinus100_Bans_Plus100_Forces()
    {
        var random = NewRandom();
        var logits = RandomLogits(random, 16);
        var argmax = Array.IndexOf(logits, logits.Max());
        var forced = (argmax + 1 + random.Next(15)) % 16;
        var banned = new SequenceSampler(Greedy with { LogitBias = new Dictionary<int, float> { [argmax] = -100f } }, 16, [], 1);
        var forcing = new SequenceSampler(new SamplingParams { LogitBias = new Dictionary<int, float> { [forced] = 100f } }, 16, [], random.NextInt64());

        Assert.NotEqual(argmax, banned.Sample(logits).TokenId);
        Assert.All(Enumerable.Range(0, 200), _ => Assert.Equal(forced, forcing.Sample(logits).TokenId));
    }

    [Fact]
    public void Sample_Logprobs_AreRawLogSoftmaxWithTopN()
    {
        var random = NewRandom();
        var logits = RandomLogits(random, 40);
        var p = new SamplingParams { Temperature = 0.5f, Logprobs = 5, RepetitionPenalty = 1.7f, LogitBias = new Dictionary<int, float> { [7] = 30f } };
        var sampler = new SequenceSampler(p, 40, [1, 2, 3], random.NextInt64());
        var expected = LogSoftmax(logits);
        var expectedTop = expected.Select((l, i) => (i, l)).OrderByDescending(x => x.l).Take(5).ToArray();

        var token = sampler.Sample(logits.Concat([99f]).ToArray()); // a padded column must not enter the softmax

        Assert.Equal(7, token.TokenId);
        Assert.Equal(expected[7], token.Logprob, 1e-5);
        Assert.Equal(expectedTop.Select(x => x.i), token.Top.Select(x => x.TokenId));
        Assert.All(token.Top.Zip(expectedTop), pair => Assert.Equal(pair.Second.l, pair.First.Logprob, 1e-5));
    }

    [Fact]
    public void Sample_LogprobsNullOrZero_TopIsEmpty()
    {
        var logits = RandomLogits(NewRandom(), 10);

        Assert.Empty(new SequenceSampler(Greedy with { Logprobs = 0 }, 10, [], 1).Sample(logits).Top);
        Assert.Empty(new SequenceSampler(Greedy, 10, [], 1).Sample(logits).Top);
    }

    [Fact]
    public void Sample_LogitsNarrowerThanVocab_Throws()
    {
        var sampler = new SequenceSampler(Greedy, 10, [], 1);

        Assert.Throws<ArgumentException>(() => sampler.Sample(new float[9]));
    }
}
