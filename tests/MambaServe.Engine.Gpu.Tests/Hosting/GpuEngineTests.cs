using MambaServe.Engine.Generation;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Gpu.Tests.Infrastructure;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.State;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Gpu.Tests.Hosting;

/// <summary>
/// The engine (scheduler, prefix cache, forks for n &gt; 1) over the GPU runner on the reference library: the demo
/// model's greedy output is the CPU engine's (tests/fixtures/demo-greedy), as the device test demands of fp32 mode.
/// </summary>
public sealed class GpuEngineTests
{
    [Fact]
    public async Task Engine_GreedyOnDemo_EqualsTheCpuEnginesFixture()
    {
        var fixture = GreedyFixture.Load();
        using var runner = Runner(slots: 8);
        await using var loop = Start(runner);

        var ids = await GreedyFixture.RunAsync(loop, [.. fixture.Cases.Select(c => c.PromptIds)], fixture.MaxTokens, TestContext.Current.CancellationToken);

        for (int i = 0; i < ids.Length; i++)
        {
            Assert.Equal(fixture.Cases[i].GreedyIds, ids[i]);
        }
    }

    [Fact]
    public async Task Engine_SeededSamplesWithN3_SameSeedSameTokensAndForksDiffer()
    {
        using var runner = Runner(slots: 8);
        await using var loop = Start(runner);
        var prompt = GreedyFixture.Load().Cases[0].PromptIds;
        var sampling = new SamplingParams { Temperature = 0.9f, TopP = 0.95f, Seed = 5, MaxTokens = 12, IgnoreEos = true };

        var first = await Samples(loop, new GenerationRequest("a", prompt, sampling, N: 3));
        var again = await Samples(loop, new GenerationRequest("b", prompt, sampling, N: 3));

        Assert.Equal(first, again);
        Assert.Equal(3, first.Count);
        Assert.True(first.Values.Select(v => string.Join(",", v)).Distinct().Count() > 1, "three samples with their own seeds should not all agree");
    }

    [Fact]
    public async Task Engine_RunningAhead_EveryRequestGetsTheTokensOfStepsInTurn()
    {
        var prompts = GreedyFixture.Load().Cases.Select(c => c.PromptIds).ToArray();
        SamplingParams[] samplings =
        [
            new() { Temperature = 0, MaxTokens = 30 },
            new() { Temperature = 0.8f, TopP = 0.9f, Seed = 11, MaxTokens = 25, IgnoreEos = true },
            new() { Temperature = 1.1f, TopK = 20, FrequencyPenalty = 0.4f, Seed = 12, MaxTokens = 40, MinTokens = 5 },
            new() { Temperature = 0, RepetitionPenalty = 1.3f, MaxTokens = 18, Logprobs = 2 },
        ];

        async Task<List<string>> Serve(bool runAhead)
        {
            using var runner = Runner(slots: 6);
            runner.RunsAhead = runAhead;
            await using var loop = Start(runner);
            var requests = Enumerable.Range(0, 8).Select(i => new GenerationRequest(
                $"r{i}", prompts[i % prompts.Length], samplings[i % samplings.Length], N: i == 5 ? 2 : 1)).ToArray();
            var results = await Task.WhenAll(requests.Select(r => Samples(loop, r)));
            return results.Select(r => string.Join(" | ", r.Select(kv => $"{kv.Key}: {string.Join(",", kv.Value)}"))).ToList();
        }

        var inTurn = await Serve(runAhead: false);
        var ahead = await Serve(runAhead: true);

        Assert.Equal(inTurn, ahead);
    }

    private static GpuModelRunner Runner(int slots) =>
        ReferenceRunners.Create(CheckpointWeightSource.Open(TestPaths.DemoModel), new StatePoolOptions { SlotCount = slots });

    private static EngineLoop Start(GpuModelRunner runner)
    {
        var loop = new EngineLoop(runner, new SchedulerOptions { MaxRunningSequences = runner.SlotCount, PrefixCacheInterval = 4 },
            new PromptScorer(runner.Config.UnpaddedVocabSize), new DetokenizingTextStreamFactory(null));
        loop.Start();
        return loop;
    }

    private static async Task<SortedDictionary<int, List<int>>> Samples(EngineLoop loop, GenerationRequest request)
    {
        var samples = new SortedDictionary<int, List<int>>();
        await foreach (var update in loop.GenerateAsync(request, TestContext.Current.CancellationToken))
        {
            (samples.TryGetValue(update.SampleIndex, out var list) ? list : samples[update.SampleIndex] = []).AddRange(update.TokenIds);
        }

        return samples;
    }
}
