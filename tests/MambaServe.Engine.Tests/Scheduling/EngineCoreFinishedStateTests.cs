using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Scheduling;
using static MambaServe.Engine.Tests.Scheduling.EngineCoreHarness;

namespace MambaServe.Engine.Tests.Scheduling;

/// <summary>
/// The prefix cache's end entries (EngineCore.FinishedStates.cs): a finished sequence's last state, keyed by its prompt
/// and the tokens its state holds, restored by the next turn that resends both. On the fake runner, whose state is a
/// hash of every token seen, a restored state that held one token too many or too few would change every later token,
/// and in its GPU-like mode a snapshot taken while a batch is in flight is counted (the end entries wait for none).
/// </summary>
public sealed class EngineCoreFinishedStateTests
{
    private static readonly SchedulerOptions CacheOn = new()
    {
        MaxRunningSequences = 2, MaxBatchTokensPerStep = 64, PrefillChunkSize = 8, PrefixCacheInterval = 4, PrefixCacheMaxBytes = 1 << 20,
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFinishedAnswer_ResentWithTheNextTurn_IsRestoredUpToItsLastFedToken(bool runAhead)
    {
        var harness = Harness(CacheOn, runAhead);
        int[] prompt = RandomPrompt(9);
        var first = harness.Submit(Request(prompt, maxTokens: 6));
        harness.RunUntilIdle();
        var answer = Tokens(Drain(first));

        int[] next = [.. prompt, .. answer, .. RandomPrompt(3)];
        var second = harness.Submit(Request(next, maxTokens: 5));
        harness.RunUntilIdle();

        // A length finish leaves its last token unfed (running ahead, such a row is not begun again): 9 + 5 tokens, past
        // the prompt's deepest boundary (8) and off the interval.
        var updates = Drain(second);
        Assert.Equal(9 + 5, Assert.Single(updates, u => u.Usage is not null).Usage!.CachedPromptTokens);
        Assert.Equal(harness.GreedyReference(next, 5), Tokens(updates));
        Assert.Equal(1, harness.Runner.RestoreCount);
        // The first prompt's boundaries (4, 8), the first answer's end (14) and the second prompt's boundary past it (16);
        // the second answer's end waits for the next schedule. The engine's stats (the metrics' gauges) count them.
        Assert.Equal((4, 4 * 256L), (harness.Core.Stats.PrefixCacheEntries, harness.Core.Stats.PrefixCacheBytes));
        Assert.Equal(0, harness.Runner.SnapshotsInFlight);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnAnswerEndedByAStopToken_KeepsTheStateBeforeIt(bool runAhead)
    {
        var harness = Harness(CacheOn, runAhead);
        int[] prompt = RandomPrompt(7);
        var reference = harness.GreedyReference(prompt, 40);
        int stop = FirstNewToken(reference, 3);
        var first = harness.Submit(Request(prompt, maxTokens: 40, stopTokenIds: [reference[stop]]));
        harness.RunUntilIdle();
        Assert.Equal(reference[..(stop + 1)], Tokens(Drain(first)));

        // The stop token is never fed: stepping in turn no step takes it, and running ahead the batch begun before it
        // was known holds it back. So a next turn that does not render it (the default template's EOS) resumes there.
        int[] next = [.. prompt, .. reference[..stop], .. RandomPrompt(4)];
        var second = harness.Submit(Request(next, maxTokens: 4));
        harness.RunUntilIdle();

        var updates = Drain(second);
        Assert.Equal(7 + stop, Assert.Single(updates, u => u.Usage is not null).Usage!.CachedPromptTokens);
        Assert.Equal(harness.GreedyReference(next, 4), Tokens(updates));
        Assert.Equal(0, harness.Runner.SnapshotsInFlight);
    }

    [Fact]
    public void TurnedOff_OnlyThePromptsBoundariesAreCached()
    {
        var harness = Harness(CacheOn with { PrefixCacheFinishedStates = false }, runAhead: false);
        int[] prompt = RandomPrompt(9);
        var first = harness.Submit(Request(prompt, maxTokens: 6));
        harness.RunUntilIdle();

        int[] next = [.. prompt, .. Tokens(Drain(first)), 1, 2];
        var second = harness.Submit(Request(next, maxTokens: 2));
        harness.RunUntilIdle();

        Assert.Equal(8, Assert.Single(Drain(second), u => u.Usage is not null).Usage!.CachedPromptTokens);
        Assert.False(harness.Core.PrefixCache!.Contains(next, 9 + 5));
    }

    [Theory]
    [InlineData("tenant-a", 14)]
    [InlineData("tenant-b", 0)]
    public void AnEndEntry_IsFoundUnderItsOwnSaltOnly(string secondSalt, int cached)
    {
        var harness = Harness(CacheOn, runAhead: false);
        int[] prompt = RandomPrompt(9);
        var first = harness.Submit(Request(prompt, maxTokens: 6) with { CacheSalt = "tenant-a" });
        harness.RunUntilIdle();

        var second = harness.Submit(Request([.. prompt, .. Tokens(Drain(first)), 3], maxTokens: 2) with { CacheSalt = secondSalt });
        harness.RunUntilIdle();

        Assert.Equal(cached, Assert.Single(Drain(second), u => u.Usage is not null).Usage!.CachedPromptTokens);
    }

    [Fact]
    public void ABatchThatFailsAfterARowEnded_LeavesThatRowsStateOut()
    {
        // Running ahead, the row that stops was begun again in the next batch; that batch fails, so the slot may hold
        // anything and the state is not stored.
        var harness = Harness(CacheOn, runAhead: true);
        int[] prompt = RandomPrompt(7);
        var reference = harness.GreedyReference(prompt, 40);
        int stop = FirstNewToken(reference, 3);
        var ending = harness.Submit(Request(prompt, maxTokens: 40, stopTokenIds: [reference[stop]]));
        var other = harness.Submit(Request(RandomPrompt(5), maxTokens: 40));
        var updates = new List<GenerationUpdate>();
        while (updates.All(u => u.Finish is null))
        {
            harness.Core.Step();
            updates.AddRange(Drain(ending));
        }

        harness.Runner.CrashWhen = _ => true;
        harness.Core.Step();
        harness.Runner.CrashWhen = null;
        harness.RunUntilIdle();
        Assert.NotNull(Error(other));

        var second = harness.Submit(Request([.. prompt, .. reference[..(stop + 1)], 5], maxTokens: 2));
        harness.RunUntilIdle();
        Assert.Equal(4, Assert.Single(Drain(second), u => u.Usage is not null).Usage!.CachedPromptTokens);
    }

    [Fact]
    public void ARequestThatSavesItsState_LeavesNoEndEntry()
    {
        var harness = Harness(CacheOn, runAhead: false);
        int[] prompt = RandomPrompt(9);
        var sink = new KeptState();
        var first = harness.Submit(Request(prompt, maxTokens: 6) with { SaveState = sink });
        harness.RunUntilIdle();

        var second = harness.Submit(Request([.. prompt, .. Tokens(Drain(first)), 3], maxTokens: 2));
        harness.RunUntilIdle();

        Assert.Equal(8, Assert.Single(Drain(second), u => u.Usage is not null).Usage!.CachedPromptTokens);
        sink.Saved?.Snapshot.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SnapshotsThatFail_LeaveTheCacheOut_AndEveryRequestGetsItsTokens(bool runAhead)
    {
        // A GPU out of device memory fails the prefix cache's snapshots (a prompt's boundaries and an answer's end): the
        // cache only spares later prefills, so the requests go on as if it were off.
        var harness = Harness(CacheOn, runAhead);
        harness.Runner.SnapshotFails = new InvalidOperationException("msv_model_snapshot: out of device memory");
        int[] prompt = RandomPrompt(13);
        var first = harness.Submit(Request(prompt, maxTokens: 6));
        harness.RunUntilIdle();
        var answer = Tokens(Drain(first));
        int[] next = [.. prompt, .. answer, 4];
        var second = harness.Submit(Request(next, maxTokens: 3));
        harness.RunUntilIdle();

        Assert.Equal(harness.GreedyReference(prompt, 6), answer);
        var updates = Drain(second);
        Assert.Equal(harness.GreedyReference(next, 3), Tokens(updates));
        Assert.Equal(0, Assert.Single(updates, u => u.Usage is not null).Usage!.CachedPromptTokens);
        Assert.Equal(0, harness.Core.PrefixCache!.Count);
    }

    private static EngineCoreHarness Harness(SchedulerOptions options, bool runAhead)
    {
        var harness = new EngineCoreHarness(options, slots: 2);
        harness.Runner.RunsAhead = runAhead;
        return harness;
    }

    private sealed class KeptState : IStateSink
    {
        public SavedState? Saved { get; private set; }

        public void Save(SavedState state, IModelRunner runner) => Saved = state;
    }
}
