using MambaServe.Engine.Generation;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tests.Infrastructure;
using static MambaServe.Engine.Tests.Scheduling.EngineCoreHarness;

namespace MambaServe.Engine.Tests.Scheduling;

public sealed class EngineCoreGenerationTests
{
    [Fact]
    public void Step_NGreaterThanOne_PrefillsOnceAndForksWithPerSampleSeeds()
    {
        var harness = new EngineCoreHarness(slots: 4);
        int[] prompt = RandomPrompt(10);
        long seed = Random.Shared.NextInt64(1, 1 << 40);
        var group = harness.Submit(Request(prompt, maxTokens: 6, n: 3, temperature: 1, seed: seed));

        harness.RunUntilIdle();

        var prefill = Assert.Single(harness.Runner.Entries, e => e.Length > 1);
        Assert.Equal((10, 3, 2), (prefill.Length, prefill.Samples, prefill.Forks));
        Assert.Equal(2, harness.Runner.ForkCount);
        Assert.Equal([seed, seed + 1, seed + 2], harness.Choosers.SeedsCreated);
        var updates = Drain(group);
        Assert.Equal(3, updates.Count(u => u.Finish == FinishReason.Length));

        // Each sample must equal a lone n = 1 request drawing with that sample's seed.
        for (int i = 0; i < 3; i++)
        {
            var lone = new EngineCoreHarness(slots: 1);
            var single = lone.Submit(Request(prompt, maxTokens: 6, temperature: 1, seed: seed + i));
            lone.RunUntilIdle();
            Assert.Equal(Tokens(Drain(single)), Tokens(updates, i));
        }
    }

    [Fact]
    public void Step_SharedPrefix_RestoresDeepestSnapshotAndMatchesFullPrefill()
    {
        var options = new SchedulerOptions
        {
            MaxRunningSequences = 2, MaxBatchTokensPerStep = 64, PrefillChunkSize = 8, PrefixCacheInterval = 4, PrefixCacheMaxBytes = 1 << 20,
        };
        var harness = new EngineCoreHarness(options, slots: 2);
        int[] first = RandomPrompt(22);
        int[] second = [.. first.Take(17), .. RandomPrompt(9)];
        var miss = harness.Submit(Request(first, maxTokens: 2));
        harness.RunUntilIdle();
        int ranBefore = harness.Runner.Entries.Sum(e => e.Length);

        var hit = harness.Submit(Request(second, maxTokens: 7, n: 2));
        harness.RunUntilIdle();

        Assert.Equal(1, harness.Core.PrefixCache!.Hits);
        Assert.Equal(2, harness.Core.PrefixCache.Lookups);
        Assert.Equal(1, harness.Runner.RestoreCount);
        // The prompt after the restored 16 tokens, then one decode per generated token but the last, for each sample.
        Assert.Equal(second.Length - 16 + 2 * 6, harness.Runner.Entries.Sum(e => e.Length) - ranBefore);
        var updates = Drain(hit);
        Assert.Equal(harness.GreedyReference(second, 7), Tokens(updates, 0));
        Assert.Equal(harness.GreedyReference(second, 7), Tokens(updates, 1));
        // The usage says so: 16 of the prompt's tokens came from the cache, on every sample's final update.
        Assert.Equal([(26, 16), (26, 16)], updates.Where(u => u.Usage is not null).Select(u => (u.Usage!.PromptTokens, u.Usage.CachedPromptTokens)));
        Assert.Equal(0, Assert.Single(Drain(miss), u => u.Usage is not null).Usage!.CachedPromptTokens);
    }

    [Theory]
    [InlineData("tenant-a", "tenant-a", 1)]
    [InlineData("tenant-a", "tenant-b", 0)]
    [InlineData("tenant-a", null, 0)]
    [InlineData(null, "tenant-a", 0)]
    public void Step_CacheSalt_SharesCachedPrefixesOnlyWithTheSameSalt(string? firstSalt, string? secondSalt, int hits)
    {
        var options = new SchedulerOptions
        {
            MaxRunningSequences = 1, MaxBatchTokensPerStep = 64, PrefillChunkSize = 8, PrefixCacheInterval = 4, PrefixCacheMaxBytes = 1 << 20,
        };
        var harness = new EngineCoreHarness(options, slots: 1);
        int[] prompt = RandomPrompt(13);
        var first = harness.Submit(Request(prompt, maxTokens: 3) with { CacheSalt = firstSalt });
        harness.RunUntilIdle();
        int ranBefore = harness.Runner.Entries.Sum(e => e.Length);

        var second = harness.Submit(Request(prompt, maxTokens: 3) with { CacheSalt = secondSalt });
        harness.RunUntilIdle();

        Assert.Equal(hits, harness.Core.PrefixCache!.Hits);
        Assert.Equal(hits, harness.Runner.RestoreCount);
        // A hit restores 12 tokens and prefills the last one; a miss prefills all 13. Two decodes after either.
        Assert.Equal((hits == 1 ? 1 : 13) + 2, harness.Runner.Entries.Sum(e => e.Length) - ranBefore);
        var secondUpdates = Drain(second);
        Assert.Equal(Tokens(Drain(first)), Tokens(secondUpdates));
        Assert.Equal(hits == 1 ? 12 : 0, Assert.Single(secondUpdates, u => u.Usage is not null).Usage!.CachedPromptTokens);
    }

    [Fact]
    public void Step_PromptEndsOnCachedBoundary_StillPrefillsLastToken()
    {
        var options = new SchedulerOptions
        {
            MaxRunningSequences = 1, MaxBatchTokensPerStep = 64, PrefillChunkSize = 8, PrefixCacheInterval = 4, PrefixCacheMaxBytes = 1 << 20,
        };
        var harness = new EngineCoreHarness(options, slots: 1);
        int[] prompt = RandomPrompt(12);
        var firstRun = harness.Submit(Request(prompt, maxTokens: 3));
        harness.RunUntilIdle();

        int entriesBefore = harness.Runner.Entries.Count;
        var secondRun = harness.Submit(Request(prompt, maxTokens: 3));
        harness.RunUntilIdle();

        Assert.Equal(1, harness.Core.PrefixCache!.Hits);
        Assert.Equal([4], harness.Runner.Entries.Skip(entriesBefore).Where(e => e.Length > 1).Select(e => e.Length));
        Assert.Equal(Tokens(Drain(firstRun)), Tokens(Drain(secondRun)));
    }

    [Fact]
    public void Step_AmongSixtyThreeOthers_GreedyOutputIsBatchInvariant()
    {
        int[] prompt = RandomPrompt(29);
        var alone = new EngineCoreHarness(slots: 1);
        var aloneGroup = alone.Submit(Request(prompt, maxTokens: 20));
        alone.RunUntilIdle();

        var options = new SchedulerOptions { MaxRunningSequences = 64, MaxBatchTokensPerStep = 256, PrefillChunkSize = 16, PrefixCacheMaxBytes = 0 };
        var crowd = new EngineCoreHarness(options, slots: 64);
        var others = Enumerable.Range(0, 63)
            .Select(i => crowd.Submit(Request(RandomPrompt(Random.Shared.Next(1, 120)), maxTokens: Random.Shared.Next(1, 40))))
            .ToList();
        var target = crowd.Submit(Request(prompt, maxTokens: 20));
        crowd.RunUntilIdle();

        Assert.Contains(crowd.Runner.StepSizes, size => size > 32);
        Assert.Equal(Tokens(Drain(aloneGroup)), Tokens(Drain(target)));
        Assert.All(others, g => Assert.Null(Error(g)));
    }

    [Fact]
    public void Step_StopTokenChosen_FinishesWithStopAndNoText()
    {
        int[] prompt = RandomPrompt(15);
        var probe = new EngineCoreHarness();
        int[] expected = probe.GreedyReference(prompt, 6);
        int stopToken = expected[3];
        int stopAt = Array.IndexOf(expected, stopToken);

        var harness = new EngineCoreHarness();
        var group = harness.Submit(Request(prompt, maxTokens: 6, stopTokenIds: [stopToken]));
        harness.RunUntilIdle();

        var updates = Drain(group);
        Assert.Equal(expected.Take(stopAt + 1), Tokens(updates));
        Assert.Equal(FinishReason.Stop, updates[^1].Finish);
        Assert.Equal(string.Empty, updates[^1].TextDelta);
        Assert.Equal(stopAt + 1, updates[^1].Usage!.CompletionTokens);
    }

    [Fact]
    public void Step_EosChosenUnlessIgnored_Finishes()
    {
        int[] prompt = RandomPrompt(15);
        int eos = new EngineCoreHarness().GreedyReference(prompt, 1)[0];
        var harness = new EngineCoreHarness(eosTokenId: eos);

        var group = harness.Submit(Request(prompt, maxTokens: 6));
        harness.RunUntilIdle();

        var updates = Drain(group);
        Assert.Equal([eos], Tokens(updates));
        Assert.Equal(FinishReason.Stop, updates[^1].Finish);
    }

    [Fact]
    public void Step_StopStringMatched_EmitsTextBeforeItAndStops()
    {
        int[] prompt = RandomPrompt(11);
        int[] expected = new EngineCoreHarness().GreedyReference(prompt, 8);
        string stop = FakeTextStreamFactory.TextOf(expected[4]);
        string fullText = string.Concat(expected.Select(FakeTextStreamFactory.TextOf));
        var harness = new EngineCoreHarness();

        var group = harness.Submit(Request(prompt, maxTokens: 8, stop: [stop]));
        harness.RunUntilIdle();

        var updates = Drain(group);
        Assert.Equal(FinishReason.Stop, updates[^1].Finish);
        Assert.Equal(fullText[..fullText.IndexOf(stop, StringComparison.Ordinal)], string.Concat(updates.Select(u => u.TextDelta)));
    }

    [Fact]
    public void Step_PromptLogprobsRequested_ScoresEveryPromptTokenAcrossChunks()
    {
        var harness = new EngineCoreHarness();
        int[] prompt = RandomPrompt(45);
        var group = harness.Submit(Request(prompt, maxTokens: 2, promptLogprobs: 3));

        harness.RunUntilIdle();

        var scored = Drain(group)[0].PromptLogprobs!;
        Assert.Equal(prompt, scored.Select(s => s.TokenId));
        Assert.Null(scored[0].Logprob);
        for (int i = 1; i < prompt.Length; i++)
        {
            float expected = FakeTokenChooserFactory.LogSoftmax(harness.Runner.LogitsAfter(prompt.AsSpan(0, i)), prompt[i]);
            Assert.Equal(expected, scored[i].Logprob!.Value, 5);
            Assert.Equal(3, scored[i].Top.Count);
        }
    }

    [Fact]
    public void Step_PrefixCacheEvicts_DisposesEverySnapshotItDrops()
    {
        var options = new SchedulerOptions
        {
            MaxRunningSequences = 2, MaxBatchTokensPerStep = 64, PrefillChunkSize = 8, PrefixCacheInterval = 4, PrefixCacheMaxBytes = 3 * 256,
            PrefixCacheFinishedStates = false, // the prompts' boundaries alone: three snapshots a request
        };
        var harness = new EngineCoreHarness(options, slots: 2);
        for (int i = 0; i < 6; i++)
        {
            harness.Submit(Request(RandomPrompt(13), maxTokens: 2));
        }

        harness.RunUntilIdle();

        Assert.Equal(6 * 3, harness.Runner.SnapshotCount);
        Assert.Equal(3, harness.Core.PrefixCache!.Count);
        Assert.Equal(3, harness.Runner.LiveSnapshots);
        harness.Core.ReleasePrefixCache();
        Assert.Equal(0, harness.Runner.LiveSnapshots);
    }

    [Fact]
    public void Step_PromptLongerThanTwoCacheIntervals_SnapshotsAtEveryBoundary()
    {
        var options = new SchedulerOptions
        {
            MaxRunningSequences = 2, MaxBatchTokensPerStep = 64, PrefillChunkSize = 16, PrefixCacheInterval = 4, PrefixCacheMaxBytes = 1 << 20,
        };
        var harness = new EngineCoreHarness(options, slots: 2);
        int[] prompt = RandomPrompt(14);

        harness.Submit(Request(prompt, maxTokens: 1));
        harness.RunUntilIdle();

        Assert.All(new[] { 4, 8, 12 }, length => Assert.True(harness.Core.PrefixCache!.Contains(prompt, length), $"no state at {length}"));
        Assert.All(harness.Runner.Entries, e => Assert.InRange(e.Length, 1, 4));
    }

    [Fact]
    public void Step_MaxTokensZero_FinishesAfterPrefillWithPromptLogprobsAndNoToken()
    {
        var harness = new EngineCoreHarness(slots: 4);
        int[] prompt = RandomPrompt(Random.Shared.Next(5, 30));
        int n = Random.Shared.Next(1, 4);
        var outputs = new List<int>();
        harness.Core.TokensProcessed = (_, output) => outputs.Add(output);
        var group = harness.Submit(Request(prompt, maxTokens: 0, n: n, promptLogprobs: 2));

        harness.RunUntilIdle();

        var updates = Drain(group);
        Assert.Equal(n, updates.Count);
        Assert.All(updates, u => Assert.Empty(u.TokenIds));
        Assert.All(updates, u => Assert.Equal(FinishReason.Length, u.Finish));
        Assert.All(updates, u => Assert.Equal(0, u.Usage!.CompletionTokens));
        Assert.Equal(prompt, updates[0].PromptLogprobs!.Select(s => s.TokenId));
        Assert.Equal(0, outputs.Sum());
        Assert.Equal(0, harness.Core.Stats.SlotsInUse);
        Assert.True(group.Updates.Reader.Completion.IsCompleted);
    }
}
