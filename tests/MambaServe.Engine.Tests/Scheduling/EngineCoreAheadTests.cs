using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Scheduling;
using static MambaServe.Engine.Tests.Scheduling.EngineCoreHarness;

namespace MambaServe.Engine.Tests.Scheduling;

/// <summary>
/// Running ahead (EngineCore.Ahead.cs) on the fake runner in its GPU-like mode: a batch begun ahead only queues, and
/// its continued tokens are read when it ends, so an engine that read results early or touched a slot while a batch is
/// in flight fails here.
/// </summary>
public sealed class EngineCoreAheadTests
{
    [Fact]
    public void RunningAhead_GivesEveryRequestTheTokensOfSteppingInTurn()
    {
        var inTurn = Serve(runAhead: false);
        var ahead = Serve(runAhead: true);

        Assert.Equal(inTurn.Outputs, ahead.Outputs);
        Assert.Equal(0, inTurn.BegunAhead);
        Assert.True(ahead.BegunAhead > 20, $"{ahead.BegunAhead} batches ran ahead");
        Assert.Equal((0, ahead.BegunAhead), (inTurn.StepsBegunAhead, ahead.StepsBegunAhead));
    }

    [Fact]
    public void ARowThatStopsIsRunOnceMoreAndItsTokenDropped()
    {
        var harness = AheadHarness();
        int[] prompt = RandomPrompt(7);
        var reference = harness.GreedyReference(prompt, 40);
        int stop = FirstNewToken(reference, 3);
        var group = harness.Submit(Request(prompt, maxTokens: 40, stopTokenIds: [reference[stop]]));

        harness.RunUntilIdle();

        var updates = Drain(group);
        Assert.Equal(reference[..(stop + 1)], Tokens(updates));
        Assert.Equal(FinishReason.Stop, updates[^1].Finish);
        Assert.Equal(new GenerationUsage(7, stop + 1), updates[^1].Usage);
        // The prefill samples the first token, decodes give the rest, and one more decode, begun before the stop token
        // was known, ran.
        Assert.Equal(stop + 1, harness.Runner.Entries.Count(e => e.Length == 1));
        Assert.Equal(0, harness.Core.Pool.InUse);
    }

    [Fact]
    public void ARowWrappedUpWhileABatchRunsAhead_EndsByLengthWithItsTokensInOrder()
    {
        var harness = AheadHarness();
        int[] prompt = RandomPrompt(6);
        using var wrapUp = new CancellationTokenSource();
        var group = harness.Submit(Request(prompt, maxTokens: 40) with { WrapUp = wrapUp.Token });
        var updates = new List<GenerationUpdate>();
        for (int steps = 0; Tokens(updates).Length < 4 && steps < 50; steps++)
        {
            harness.Core.Step();
            updates.AddRange(Drain(group));
        }

        Assert.True(harness.Runner.BegunAhead > 0, "nothing ran ahead before the wrap-up");
        wrapUp.Cancel();
        harness.RunUntilIdle();
        updates.AddRange(Drain(group));

        var tokens = Tokens(updates);
        Assert.InRange(tokens.Length, 5, 7); // what was in flight, not the budget of 40
        Assert.Equal(harness.GreedyReference(prompt, tokens.Length), tokens);
        Assert.Equal(FinishReason.Length, updates[^1].Finish);
        Assert.Equal(0, harness.Core.Pool.InUse);
    }

    [Fact]
    public void MinTokens_CountsTheTokenInFlight()
    {
        // The first token that may stop the request is its (min_tokens + 1)-th: the batch begun ahead for it must not
        // ban stop tokens, though the token before it was not applied yet when it began.
        var harness = AheadHarness();
        int[] prompt = RandomPrompt(6);
        var reference = harness.GreedyReference(prompt, 40);
        int stop = FirstNewToken(reference, 4);
        var group = harness.Submit(Request(prompt, maxTokens: 40, stopTokenIds: [reference[stop]], minTokens: stop));

        harness.RunUntilIdle();

        var updates = Drain(group);
        Assert.Equal(reference[..(stop + 1)], Tokens(updates));
        Assert.Equal(FinishReason.Stop, updates[^1].Finish);
    }

    [Fact]
    public void ARowThatEndsByMaxTokensTakesNoStepMore()
    {
        var harness = AheadHarness();
        int[] prompt = RandomPrompt(5);
        var group = harness.Submit(Request(prompt, maxTokens: 6));

        harness.RunUntilIdle();

        Assert.Equal(harness.GreedyReference(prompt, 6), Tokens(Drain(group)));
        Assert.Equal(5, harness.Runner.Entries.Count(e => e.Length == 1));
        Assert.True(harness.Runner.BegunAhead >= 4);
    }

    [Fact]
    public void AWaitingRequestIsAdmittedWhenASlotFrees_AndNothingRunsAheadOfItsPrefill()
    {
        var harness = AheadHarness(slots: 1);
        int[] first = RandomPrompt(6), second = RandomPrompt(9);
        var a = harness.Submit(Request(first, maxTokens: 5));
        var b = harness.Submit(Request(second, maxTokens: 5));

        harness.RunUntilIdle();

        Assert.Equal(harness.GreedyReference(first, 5), Tokens(Drain(a)));
        Assert.Equal(harness.GreedyReference(second, 5), Tokens(Drain(b)));
        Assert.Equal(0, harness.Core.Pool.InUse);
    }

    [Fact]
    public void ARequestThatArrivesBeforeTheTailOfTheBatchInFlight_IsPrefilledInTheNextStep()
    {
        // The decision to run ahead waits for the batch's tail and takes the arrivals first: a request that arrives
        // meanwhile stops the engine from running ahead, so the next step admits it rather than the one after.
        var harness = AheadHarness();
        int[] prompt = RandomPrompt(9);
        var decoding = harness.Submit(Request(RandomPrompt(6), maxTokens: 30));
        for (int i = 0; i < 4; i++)
        {
            harness.Core.Step();
        }

        Assert.True(harness.Runner.BegunAhead > 0);
        SequenceGroup? late = null;
        int waits = 0;
        harness.Runner.OnWaitForTail = () => waits++;
        harness.Core.TakeArrivals = () => late ??= harness.Submit(Request(prompt, maxTokens: 5));
        harness.Core.Step();
        harness.Core.TakeArrivals = null;
        Assert.Equal(1, waits);
        Assert.NotNull(late);
        Assert.Equal(GroupPhase.Waiting, late.Phase);

        harness.Core.Step();

        Assert.Equal(GroupPhase.Decoding, late.Phase);
        harness.RunUntilIdle();
        Assert.Equal(harness.GreedyReference(prompt, 5), Tokens(Drain(late)));
        Assert.Equal(30, Tokens(Drain(decoding)).Count());
    }

    [Fact]
    public void RunAheadOff_StepsInTurnOnARunnerThatRunsAhead()
    {
        var harness = new EngineCoreHarness(new SchedulerOptions
        {
            MaxRunningSequences = 4, MaxBatchTokensPerStep = 64, PrefillChunkSize = 16, PrefixCacheMaxBytes = 0, RunAhead = false,
        });
        harness.Runner.RunsAhead = true;
        int[] prompt = RandomPrompt(6);
        var group = harness.Submit(Request(prompt, maxTokens: 8));

        harness.RunUntilIdle();

        Assert.Equal(harness.GreedyReference(prompt, 8), Tokens(Drain(group)));
        Assert.Equal(0, harness.Runner.BegunAhead);
    }

    [Theory]
    [InlineData("stop token", false)]
    [InlineData("stop token", true)]
    [InlineData("length", false)]
    [InlineData("length", true)]
    [InlineData("wrap-up", false)]
    [InlineData("wrap-up", true)]
    public void ARequestThatSavesItsState_RunsAhead_AndSavesWhatItsTurnLeaves(string end, bool runAhead)
    {
        // The Responses API's state: the next turn feeds its pending token and goes on, so with it fed the state must be
        // that of the prompt and the answer, less a stop token that ended it. Running ahead, a stop token is held back
        // in the batch begun before it was known, max_tokens ends a row before it is begun again, and a wrap-up that
        // arrives while a batch is being begun (here: as the runner takes it) finds the last token fed already.
        var harness = runAhead ? AheadHarness() : new EngineCoreHarness();
        int[] prompt = RandomPrompt(6);
        var reference = harness.GreedyReference(prompt, 40);
        var sink = new RecordingSink(harness.Runner);
        using var wrapUp = new CancellationTokenSource();
        int begun = 0;
        harness.Runner.OnStep = () =>
        {
            if (end == "wrap-up" && ++begun == 6)
            {
                wrapUp.Cancel();
            }
        };
        var request = end == "stop token"
            ? Request(prompt, maxTokens: 40, stopTokenIds: [reference[FirstNewToken(reference, 4)]])
            : Request(prompt, maxTokens: end == "length" ? 9 : 40) with { WrapUp = wrapUp.Token };
        var group = harness.Submit(request with { SaveState = sink });

        harness.RunUntilIdle();

        var tokens = Tokens(Drain(group)).ToArray();
        Assert.Equal(reference[..tokens.Length], tokens);
        Assert.True(runAhead == harness.Runner.BegunAhead > 0, $"{harness.Runner.BegunAhead} batches ran ahead");
        harness.Runner.OnStep = null;
        int[] fed = [.. prompt, .. end == "stop token" ? tokens[..^1] : tokens];
        Assert.Equal(StateAfter(harness.Runner, fed), Resume(harness.Runner, sink.State!, sink.Pending));
        // Pending: the last token of an answer ended by length, unless a batch begun ahead fed it (the wrap-up).
        Assert.Equal(end == "stop token" || (end == "wrap-up" && runAhead) ? null : tokens[^1], sink.Pending);
    }

    /// <summary>The state of a slot that ran <paramref name="tokens"/> from zero, exported.</summary>
    private static byte[] StateAfter(IModelRunner runner, int[] tokens)
    {
        runner.ZeroSlot(1);
        var batch = new StepBatch();
        batch.AddChunk(1, tokens);
        runner.Step(batch);
        using var state = runner.Snapshot(1);
        return runner.ExportSnapshot(state);
    }

    /// <summary>A saved state with its pending token fed, as the next turn starts from it, exported.</summary>
    private static byte[] Resume(IModelRunner runner, byte[] state, int? pending)
    {
        if (pending is null)
        {
            return state;
        }

        using (var saved = runner.ImportSnapshot(state))
        {
            runner.Restore(0, saved);
        }

        var batch = new StepBatch();
        batch.AddToken(0, pending.Value);
        runner.Step(batch);
        using var after = runner.Snapshot(0);
        return runner.ExportSnapshot(after);
    }

    [Fact]
    public void AnAbortWhileABatchIsAhead_FreesTheSlotAndTheOthersGoOn()
    {
        var harness = AheadHarness(slots: 2);
        int[] prompt = RandomPrompt(8);
        var aborted = harness.Submit(Request(RandomPrompt(6), maxTokens: 1000));
        var other = harness.Submit(Request(prompt, maxTokens: 12));
        for (int i = 0; i < 4; i++)
        {
            harness.Core.Step();
        }

        aborted.RequestAbort();
        harness.RunUntilIdle();

        Drain(aborted);
        Assert.True(aborted.Updates.Reader.Completion.IsCompletedSuccessfully);
        Assert.Equal(harness.GreedyReference(prompt, 12), Tokens(Drain(other)));
        Assert.Equal(0, harness.Core.Pool.InUse);
    }

    [Fact]
    public void AFailureWhenABatchEnds_FailsItsRequestsAndTheEngineKeepsServing()
    {
        var harness = AheadHarness(slots: 4);
        var groups = Enumerable.Range(0, 3).Select(_ => harness.Submit(Request(RandomPrompt(6), maxTokens: 50))).ToArray();
        for (int i = 0; i < 3; i++)
        {
            harness.Core.Step();
        }

        harness.Runner.CrashWhen = batch => batch.Entries.Count == 3;
        harness.Core.Step();
        harness.Runner.CrashWhen = null;
        harness.RunUntilIdle();

        Assert.All(groups, g => Assert.IsType<GenerationFailedException>(Error(g)));
        Assert.Equal(0, harness.Core.Pool.InUse);
        int[] prompt = RandomPrompt(9);
        var after = harness.Submit(Request(prompt, maxTokens: 5));
        harness.RunUntilIdle();
        Assert.Equal(harness.GreedyReference(prompt, 5), Tokens(Drain(after)));
    }

    [Fact]
    public void ShuttingDownWithABatchAhead_EndsIt()
    {
        var harness = AheadHarness();
        var group = harness.Submit(Request(RandomPrompt(5), maxTokens: 100));
        for (int i = 0; i < 3; i++)
        {
            harness.Core.Step();
        }

        Assert.True(harness.Runner.BegunAhead > 0);
        harness.Core.AbortAll();

        Assert.False(harness.Core.HasWork);
        Assert.Equal(FinishReason.Abort, Drain(group)[^1].Finish);
        harness.Runner.ZeroSlot(0); // throws if a batch were still in flight
    }

    private static EngineCoreHarness AheadHarness(int slots = 8)
    {
        var harness = new EngineCoreHarness(slots: slots);
        harness.Runner.RunsAhead = true;
        return harness;
    }

    /// <summary>
    /// A mixed load served to the end: greedy and seeded sampling, n = 2, stop strings, stop token ids, EOS, min_tokens
    /// and logprobs, with requests arriving while others decode. Same prompts and seeds for every call.
    /// </summary>
    private static (List<string> Outputs, int BegunAhead, long StepsBegunAhead) Serve(bool runAhead)
    {
        var harness = new EngineCoreHarness(slots: 6, eosTokenId: 3);
        harness.Runner.RunsAhead = runAhead;
        var rng = new Random(42);
        int[] Prompt(int length) => Enumerable.Range(0, length).Select(_ => rng.Next(50)).ToArray();
        var requests = new List<GenerationRequest>
        {
            Request(Prompt(9), maxTokens: 40),
            Request(Prompt(12), maxTokens: 30, temperature: 1, seed: 5, n: 2),
            Request(Prompt(4), maxTokens: 25, stop: ["<7>"]),
            Request(Prompt(20), maxTokens: 35, stopTokenIds: [11, 12], logprobs: 2),
            Request(Prompt(6), maxTokens: 30, minTokens: 10, temperature: 1, seed: 9),
            Request(Prompt(15), maxTokens: 20, ignoreEos: true),
            Request(Prompt(5), maxTokens: 28, temperature: 1, seed: 77, stop: ["<21>"]),
            Request(Prompt(30), maxTokens: 12),
        };
        var groups = new List<SequenceGroup>();
        for (int i = 0; i < requests.Count; i++)
        {
            groups.Add(harness.Submit(requests[i]));
            for (int s = 0; s < 7; s++)
            {
                harness.Core.Step();
            }
        }

        harness.RunUntilIdle();
        var outputs = groups.Select((g, i) =>
        {
            var updates = Drain(g);
            Assert.Null(Error(g));
            return string.Join(" | ", Enumerable.Range(0, g.Samples.Length).Select(s =>
                $"{string.Join(",", Tokens(updates, s))} {updates.Last(u => u.SampleIndex == s).Finish} " +
                string.Concat(updates.Where(u => u.SampleIndex == s).Select(u => u.TextDelta)) + " " +
                string.Join(",", updates.Where(u => u.SampleIndex == s).SelectMany(u => u.Logprobs ?? []).Select(l => $"{l.TokenId}:{l.Logprob:R}"))));
        }).ToList();
        Assert.Equal(0, harness.Core.Pool.InUse);
        return (outputs, harness.Runner.BegunAhead, harness.Core.Stats.StepsBegunAhead);
    }

    /// <summary>Keeps the saved state as the runner exports it, and its pending token.</summary>
    private sealed class RecordingSink(IModelRunner runner) : IStateSink
    {
        public byte[]? State { get; private set; }

        public int? Pending { get; private set; }

        public void Save(SavedState state, IModelRunner _)
        {
            State = runner.ExportSnapshot(state.Snapshot);
            Pending = state.PendingToken;
            state.Snapshot.Dispose();
        }
    }
}
