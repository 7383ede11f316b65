using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Tests.Sampling;

/// <summary>Sampling on the demo model's real HF logits (8192-wide rows), not only on synthetic ones.</summary>
public sealed class DemoReferenceSamplingTests
{
    private static readonly DemoReference Reference = DemoReference.Load();

    [Fact]
    public void Sample_GreedyOnReferenceLogits_ReproducesHfGreedyContinuation()
    {
        foreach (var (c, promptLength, totalLength) in DemoReference.Cases())
        {
            var ids = Reference.InputIds(c);
            var (logits, width) = Reference.Logits(c);
            var sampler = new SequenceSampler(new SamplingParams { Temperature = 0f }, width, ids[..promptLength], 1);

            for (var t = promptLength - 1; t < totalLength - 1; t++)
            {
                Assert.Equal(ids[t + 1], sampler.Sample(logits.AsSpan(t * width, width)).TokenId);
            }
        }
    }

    [Fact]
    public void Compute_ReferenceLogits_LogprobsAreNormalisedAndTopFirstIsGreedyChoice()
    {
        var (c, promptLength, totalLength) = DemoReference.Cases().First(x => x.TotalLength > x.PromptLength + 1);
        var ids = Reference.InputIds(c)[..totalLength];
        var (logits, width) = Reference.Logits(c);

        var result = PromptLogprobs.Compute(logits, width, ids, topN: 20, sampleableVocab: width);

        for (var t = promptLength; t < totalLength; t++)
        {
            // The continuation is greedy, so each generated token is the most likely one at its position.
            Assert.Equal(ids[t], result[t].Top[0].TokenId);
            Assert.Equal(result[t].Logprob!.Value, result[t].Top[0].Logprob, 1e-6);
            Assert.InRange(result[t].Top.Sum(x => Math.Exp(x.Logprob)), 0.0, 1.0 + 1e-5);
        }
    }
}
