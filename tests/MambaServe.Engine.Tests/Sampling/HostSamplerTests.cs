using MambaServe.Engine.Backends;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Tests.Sampling;

public sealed class HostSamplerTests
{
    private static readonly SamplingParams Random = new() { Temperature = 1f };

    private static float[] Row(int seed) => Enumerable.Range(0, 64).Select(i => (float)Math.Sin(i * 0.7 + seed)).ToArray();

    private static List<int> Draw(HostSampler sampler, int slot, SequenceSampling sampling, int count, int firstRow = 0)
    {
        var batch = new StepBatch();
        var tokens = new List<int>();
        for (int i = 0; i < count; i++)
        {
            batch.Clear();
            var target = batch.AddToken(slot, 0).AddSample(slot, sampling);
            sampler.Sample(target, Row(firstRow + i));
            tokens.Add(target.Chosen!.Value.TokenId);
        }

        return tokens;
    }

    [Fact]
    public void Sample_SameInstanceAcrossSteps_ContinuesOneSequence()
    {
        var sampler = new HostSampler(new SamplerTokenChooserFactory(64), 2);
        var sampling = new SequenceSampling(Random, 5, []);

        var first = Draw(sampler, 0, sampling, 10);
        var continued = Draw(sampler, 0, sampling, 10, firstRow: 10);
        var fresh = Draw(new HostSampler(new SamplerTokenChooserFactory(64), 2), 0, sampling, 20);

        Assert.Equal(fresh, first.Concat(continued));
    }

    [Fact]
    public void Sample_NewInstanceOnTheSlot_RestartsTheSampler()
    {
        var sampler = new HostSampler(new SamplerTokenChooserFactory(64), 2);

        var first = Draw(sampler, 1, new SequenceSampling(Random, 5, []), 10);
        var restarted = Draw(sampler, 1, new SequenceSampling(Random, 5, []), 10);

        Assert.Equal(first, restarted);
    }

    [Fact]
    public void Sample_BanStopTokensFlag_BansTheSamplingsIdsForThatTargetOnly()
    {
        var sampler = new HostSampler(new SamplerTokenChooserFactory(64), 2);
        var row = Row(3);
        int best = Array.IndexOf(row, row.Max());
        var sampling = new SequenceSampling(new SamplingParams { Temperature = 0f }, 1, [], [best]);
        var batch = new StepBatch();
        var banned = batch.AddToken(0, 0).AddSample(0, sampling, banStopTokens: true);
        var free = batch.AddToken(1, 0).AddSample(1, new SequenceSampling(new SamplingParams { Temperature = 0f }, 1, [], [best]));

        sampler.Sample(banned, row);
        sampler.Sample(free, row);

        Assert.NotEqual(best, banned.Chosen!.Value.TokenId);
        Assert.Equal(best, free.Chosen!.Value.TokenId);
    }

    [Fact]
    public void Sample_ChooserThrows_ReportsOnTheTargetOnly()
    {
        var sampler = new HostSampler(new SamplerTokenChooserFactory(64), 1);
        var batch = new StepBatch();
        var target = batch.AddToken(0, 0).AddSample(0, new SequenceSampling(Random, 1, []));

        sampler.Sample(target, new float[10]); // narrower than the vocab: the sampler refuses it

        Assert.IsType<ArgumentException>(target.Error);
        Assert.Null(target.Chosen);
    }
}
