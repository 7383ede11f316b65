using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tests.Infrastructure;
using static MambaServe.Engine.Tests.Scheduling.EngineCoreHarness;

namespace MambaServe.Engine.Tests.Scheduling;

/// <summary>Requests that start from a saved state and save their final state (the Responses API's engine hooks).</summary>
public sealed class EngineCoreStateTests
{
    [Fact]
    public void Step_ContinuedFromSavedStateAfterLength_MatchesFullPrefillOfTheWholeConversation()
    {
        var harness = new EngineCoreHarness();
        int[] first = RandomPrompt(9), next = RandomPrompt(5);
        var sink = new CapturingSink();
        var a = harness.Submit(Request(first, maxTokens: 4) with { SaveState = sink });
        harness.RunUntilIdle();
        var outA = Tokens(Drain(a));

        var saved = Assert.IsType<SavedState>(sink.Saved);
        Assert.Equal(1, sink.Calls);
        Assert.Equal(outA[^1], saved.PendingToken); // ended by length: the last token is shown but not yet in the state
        var start = new SnapshotStart(saved.Snapshot);
        var b = harness.Submit(Request([saved.PendingToken!.Value, .. next], maxTokens: 6) with { Start = start });
        harness.RunUntilIdle();

        Assert.Equal(harness.GreedyReference([.. first, .. outA, .. next], 6), Tokens(Drain(b)));
        Assert.Equal((1, 1), (start.Restores, start.Releases));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // with a stop string that never matches: the path that makes each token's text at once
    public void Step_WrappedUp_EndsByLengthAtTheNextToken_AndItsStateContinuesExactly(bool stopStrings)
    {
        var harness = new EngineCoreHarness();
        int[] first = RandomPrompt(8), next = RandomPrompt(5);
        var sink = new CapturingSink();
        using var wrapUp = new CancellationTokenSource();
        var a = harness.Submit(Request(first, maxTokens: 40, stop: stopStrings ? ["\u0001never"] : null) with { SaveState = sink, WrapUp = wrapUp.Token });
        var updates = new List<GenerationUpdate>();
        for (int steps = 0; Tokens(updates).Length < 3 && steps < 50; steps++)
        {
            harness.Core.Step();
            updates.AddRange(Drain(a));
        }

        wrapUp.Cancel();
        harness.RunUntilIdle();
        updates.AddRange(Drain(a));

        var outA = Tokens(updates);
        Assert.InRange(outA.Length, 4, 5); // the token of the step that saw the wrap-up (and one already written), not 40
        Assert.Equal(harness.GreedyReference(first, outA.Length), outA);
        Assert.Equal(FinishReason.Length, updates[^1].Finish);
        Assert.Equal(new GenerationUsage(first.Length, outA.Length), updates[^1].Usage);
        var saved = Assert.IsType<SavedState>(sink.Saved);
        Assert.Equal(outA[^1], saved.PendingToken);
        var b = harness.Submit(Request([saved.PendingToken!.Value, .. next], maxTokens: 6) with { Start = new SnapshotStart(saved.Snapshot) });
        harness.RunUntilIdle();

        Assert.Equal(harness.GreedyReference([.. first, .. outA, .. next], 6), Tokens(Drain(b)));
        Assert.Equal(0, harness.Core.Pool.InUse);
    }

    [Fact]
    public void Step_NoTokensToGenerate_SavesTheStateOfTheWholePrompt()
    {
        var harness = new EngineCoreHarness();
        int[] prompt = RandomPrompt(11), next = RandomPrompt(4);
        var sink = new CapturingSink();
        var warm = harness.Submit(Request(prompt, maxTokens: 0) with { SaveState = sink });
        harness.RunUntilIdle();

        var updates = Drain(warm);
        Assert.Empty(Tokens(updates));
        Assert.Equal(FinishReason.Length, updates.Last().Finish);
        Assert.Null(sink.Saved!.PendingToken);
        var b = harness.Submit(Request(next, maxTokens: 5) with { Start = new SnapshotStart(sink.Saved.Snapshot) });
        harness.RunUntilIdle();

        Assert.Equal(harness.GreedyReference([.. prompt, .. next], 5), Tokens(Drain(b)));
    }

    [Fact]
    public void Step_EndedByStopToken_SavesStateWithoutThePendingToken()
    {
        var harness = new EngineCoreHarness();
        int[] first = RandomPrompt(7), next = RandomPrompt(4);
        var reference = harness.GreedyReference(first, 8);
        int stopAt = Array.IndexOf(reference, reference[2]); // the first position holding that token
        var sink = new CapturingSink();
        var a = harness.Submit(Request(first, maxTokens: 8, stopTokenIds: [reference[2]]) with { SaveState = sink });
        harness.RunUntilIdle();
        Assert.Equal(FinishReason.Stop, Drain(a).Last().Finish);

        Assert.Null(sink.Saved!.PendingToken);
        var b = harness.Submit(Request(next, maxTokens: 5) with { Start = new SnapshotStart(sink.Saved.Snapshot) });
        harness.RunUntilIdle();

        // The stop token is neither in the text nor in the state: the conversation continues without it.
        Assert.Equal(harness.GreedyReference([.. first, .. reference[..stopAt], .. next], 5), Tokens(Drain(b)));
    }

    [Fact]
    public void Step_StartStateWithPrefixCache_NeitherReadsNorWritesCachedPrefixes()
    {
        var options = new SchedulerOptions
        {
            MaxRunningSequences = 4, MaxBatchTokensPerStep = 64, PrefillChunkSize = 16, PrefixCacheInterval = 4, PrefixCacheMaxBytes = 1 << 20,
        };
        var harness = new EngineCoreHarness(options);
        int[] history = RandomPrompt(12), prompt = RandomPrompt(13);
        var sink = new CapturingSink();
        harness.Submit(Request(history, maxTokens: 3) with { SaveState = sink });
        harness.RunUntilIdle();

        var continued = harness.Submit(Request(prompt, maxTokens: 4) with { Start = new SnapshotStart(sink.Saved!.Snapshot) });
        harness.RunUntilIdle();
        var fresh = harness.Submit(Request(prompt, maxTokens: 4));
        harness.RunUntilIdle();

        Assert.Equal(harness.GreedyReference(prompt, 4), Tokens(Drain(fresh)));
        Assert.NotEqual(Tokens(Drain(fresh)), Tokens(Drain(continued)));
    }

    [Fact]
    public void Step_StartStateWithNSamples_EverySampleContinuesFromIt()
    {
        var harness = new EngineCoreHarness();
        int[] history = RandomPrompt(6), prompt = RandomPrompt(3);
        var sink = new CapturingSink();
        var a = harness.Submit(Request(history, maxTokens: 2) with { SaveState = sink });
        harness.RunUntilIdle();
        var outA = Tokens(Drain(a));

        var b = harness.Submit(Request([outA[^1], .. prompt], maxTokens: 3, n: 2) with { Start = new SnapshotStart(sink.Saved!.Snapshot) });
        harness.RunUntilIdle();

        var updates = Drain(b);
        var expected = harness.GreedyReference([.. history, .. outA, .. prompt], 3);
        Assert.Equal(expected, Tokens(updates, 0));
        Assert.Equal(expected, Tokens(updates, 1));
    }

    [Fact]
    public void Step_StopString_SavesNoState()
    {
        var harness = new EngineCoreHarness();
        int[] prompt = RandomPrompt(5);
        var reference = harness.GreedyReference(prompt, 6);
        var sink = new CapturingSink();
        var group = harness.Submit(Request(prompt, maxTokens: 6, stop: [FakeTextStreamFactory.TextOf(reference[1])]) with { SaveState = sink });
        harness.RunUntilIdle();

        Assert.Equal(FinishReason.Stop, Drain(group).Last().Finish);
        Assert.Null(sink.Saved); // the text ends inside tokens the state has seen
    }

    [Fact]
    public void Step_AbortedBeforeAdmission_ReleasesTheStartState()
    {
        var harness = new EngineCoreHarness(slots: 1);
        var blocker = harness.Submit(Request(RandomPrompt(4), maxTokens: 50));
        harness.Core.Step();
        var start = new SnapshotStart(harness.Runner.Snapshot(0));
        var waiting = harness.Submit(Request(RandomPrompt(4)) with { Start = start });
        harness.Core.Step();

        waiting.RequestAbort();
        harness.Core.Step();

        Assert.Equal((0, 1), (start.Restores, start.Releases));
        blocker.RequestAbort();
        harness.RunUntilIdle();
    }

    private sealed class CapturingSink : IStateSink
    {
        public SavedState? Saved { get; private set; }

        public int Calls { get; private set; }

        public void Save(SavedState state, IModelRunner runner)
        {
            Saved = state;
            Calls++;
        }
    }

    private sealed class SnapshotStart(IStateSnapshot snapshot) : InitialState
    {
        public int Restores { get; private set; }

        public int Releases { get; private set; }

        public override void RestoreInto(IModelRunner runner, int slot)
        {
            Restores++;
            runner.Restore(slot, snapshot);
        }

        public override void Release() => Releases++;
    }
}
