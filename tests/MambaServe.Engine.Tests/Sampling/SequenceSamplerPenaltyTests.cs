using MambaServe.Engine.Sampling;
using static MambaServe.Engine.Tests.Sampling.SamplerTestData;

namespace MambaServe.Engine.Tests.Sampling;

public sealed class SequenceSamplerPenaltyTests
{
    private const int Vocab = 12;

    [Fact]
    public void ApplyPenalties_Repetition_DividesPositiveMultipliesNegativeForPromptAndOutput()
    {
        var random = NewRandom();
        var sampler = new SequenceSampler(new SamplingParams { Temperature = 0f, RepetitionPenalty = 1.5f }, Vocab, [2, 5, 2], 1);
        Emit(sampler, 9);
        var logits = RandomLogits(random, Vocab);
        logits[2] = Math.Abs(logits[2]) + 0.1f;
        logits[5] = -Math.Abs(logits[5]) - 0.1f;
        var original = logits.ToArray();

        sampler.ApplyPenalties(logits);

        Assert.Equal(original[2] / 1.5f, logits[2], 6);
        Assert.Equal(original[5] * 1.5f, logits[5], 6);
        Assert.Equal(original[9] > 0 ? original[9] / 1.5f : original[9] * 1.5f, logits[9], 6);
        AssertUnchangedExcept(original, logits, 2, 5, 9);
    }

    [Fact]
    public void ApplyPenalties_FrequencyAndPresence_SubtractPerOutputCountOnly()
    {
        var random = NewRandom();
        var p = new SamplingParams { Temperature = 0f, FrequencyPenalty = 0.5f, PresencePenalty = 0.3f };
        var sampler = new SequenceSampler(p, Vocab, [4, 6], 1);
        Emit(sampler, 7);
        Emit(sampler, 7);
        Emit(sampler, 4);
        var logits = RandomLogits(random, Vocab);
        var original = logits.ToArray();

        sampler.ApplyPenalties(logits);

        Assert.Equal(original[7] - (2 * 0.5f + 0.3f), logits[7], 5);
        Assert.Equal(original[4] - (0.5f + 0.3f), logits[4], 5);
        AssertUnchangedExcept(original, logits, 7, 4); // prompt-only token 6 is not penalised
    }

    [Fact]
    public void Sample_RepetitionPenalty_GreedyAvoidsRepeatingPromptToken()
    {
        var random = NewRandom();
        var logits = RandomLogits(random, Vocab, scale: 1f);
        var argmax = Array.IndexOf(logits, logits.Max());
        logits[argmax] = 2f;
        var second = Enumerable.Range(0, Vocab).Where(i => i != argmax).MaxBy(i => logits[i]);
        logits[second] = 1.5f; // 2 / 2 = 1 < 1.5 once penalised
        var plain = new SequenceSampler(new SamplingParams { Temperature = 0f }, Vocab, [argmax], 1);
        var penalised = new SequenceSampler(new SamplingParams { Temperature = 0f, RepetitionPenalty = 2f }, Vocab, [argmax], 1);

        Assert.Equal(argmax, plain.Sample(logits).TokenId);
        Assert.Equal(second, penalised.Sample(logits).TokenId);
    }

    [Fact]
    public void Sample_FrequencyPenalty_GreedyMovesOffRepeatedToken()
    {
        var random = NewRandom();
        var logits = RandomLogits(random, Vocab, scale: 0.5f);
        logits[3] = 2f;
        logits[8] = 1.2f; // 3 wins twice (2, 1.5), then 2 - 1.0 = 1.0 < 1.2
        var sampler = new SequenceSampler(new SamplingParams { Temperature = 0f, FrequencyPenalty = 0.5f }, Vocab, [], 1);

        var tokens = Enumerable.Range(0, 3).Select(_ => sampler.Sample(logits).TokenId).ToArray();

        Assert.Equal([3, 3, 8], tokens);
    }

    // Greedy with a rigged row makes the sampler record exactly this output token.
    private static void Emit(SequenceSampler sampler, int token)
    {
        var logits = new float[Vocab];
        logits[token] = 1000f;
        Assert.Equal(token, sampler.Sample(logits).TokenId);
    }

    private static void AssertUnchangedExcept(float[] original, float[] actual, params int[] changed)
    {
        for (var i = 0; i < original.Length; i++)
        {
            if (!changed.Contains(i))
            {
                Assert.Equal(original[i], actual[i]);
            }
        }
    }
}
