using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Scheduling;
using static MambaServe.Engine.Tests.Scheduling.EngineCoreHarness;

namespace MambaServe.Engine.Tests.Scheduling;

public sealed class EngineCoreTests
{
    [Fact]
    public void Step_GreedyRequest_MatchesModelContinuationAndReportsUsage()
    {
        var harness = new EngineCoreHarness();
        int[] prompt = RandomPrompt(37);
        var group = harness.Submit(Request(prompt, maxTokens: 9, logprobs: 0));

        harness.RunUntilIdle();

        var updates = Drain(group);
        Assert.Equal(harness.GreedyReference(prompt, 9), Tokens(updates));
        Assert.Equal(string.Concat(Tokens(updates).Select(Infrastructure.FakeTextStreamFactory.TextOf)), string.Concat(updates.Select(u => u.TextDelta)));
        Assert.All(updates.SkipLast(1), u => Assert.Null(u.Finish));
        Assert.Equal(FinishReason.Length, updates[^1].Finish);
        Assert.Equal(new GenerationUsage(37, 9), updates[^1].Usage);
        Assert.All(updates, u => Assert.Single(u.Logprobs!));
        Assert.Null(Error(group));
        Assert.Equal(0, harness.Core.Pool.InUse);
    }

    [Fact]
    public void Step_LongPromptPrefilling_RunningSequenceGetsTokenEveryStep()
    {
        var harness = new EngineCoreHarness(new SchedulerOptions
        {
            MaxRunningSequences = 4, MaxBatchTokensPerStep = 12, PrefillChunkSize = 8, PrefixCacheInterval = 4, PrefixCacheMaxBytes = 0,
        });
        int[] shortPrompt = RandomPrompt(3);
        var running = harness.Submit(Request(shortPrompt, maxTokens: 200));
        harness.Core.Step();
        Assert.Single(Drain(running));

        int[] longPrompt = RandomPrompt(150);
        var prefilling = harness.Submit(Request(longPrompt, maxTokens: 2));
        int steps = 0;
        while (prefilling.Phase != GroupPhase.Decoding && prefilling.Phase != GroupPhase.Done)
        {
            int entriesBefore = harness.Runner.Entries.Count;
            harness.Core.Step();
            steps++;
            Assert.Single(Drain(running));
            Assert.All(harness.Runner.Entries.Skip(entriesBefore), entry => Assert.InRange(entry.Length, 1, 8));
        }

        Assert.True(steps >= 150 / 8, $"prefill took {steps} steps");
        harness.RunUntilIdle();
        Assert.Equal(harness.GreedyReference(longPrompt, 2), Tokens(Drain(prefilling)));
    }

    [Fact]
    public void Step_DifferentPriorities_AdmitsLowerPriorityValueFirst()
    {
        var harness = new EngineCoreHarness(slots: 1);
        var first = harness.Submit(Request(RandomPrompt(5), maxTokens: 3));
        harness.Core.Step();
        var low = harness.Submit(Request(RandomPrompt(5), maxTokens: 3, priority: 5));
        var high = harness.Submit(Request(RandomPrompt(5), maxTokens: 3, priority: -1));
        var finished = new List<SequenceGroup>();

        while (harness.Core.HasWork)
        {
            harness.Core.Step();
            foreach (var group in new[] { first, low, high })
            {
                if (group.Phase == GroupPhase.Done && !finished.Contains(group))
                {
                    finished.Add(group);
                }
            }
        }

        Assert.Equal([first, high, low], finished);
    }

    [Fact]
    public void Step_SamePriority_AdmitsFirstComeFirstServed()
    {
        var harness = new EngineCoreHarness(slots: 2);
        var groups = Enumerable.Range(0, 6).Select(_ => harness.Submit(Request(RandomPrompt(Random.Shared.Next(2, 9)), maxTokens: 4))).ToArray();
        var admittedOrder = new List<SequenceGroup>();

        while (harness.Core.HasWork)
        {
            harness.Core.Step();
            admittedOrder.AddRange(groups.Where(g => g.Phase != GroupPhase.Waiting && !admittedOrder.Contains(g)));
        }

        Assert.Equal(groups, admittedOrder);
    }

    [Fact]
    public void Step_AbortRequested_FreesSlotWithinOneStep()
    {
        var harness = new EngineCoreHarness(slots: 2);
        var aborted = harness.Submit(Request(RandomPrompt(6), maxTokens: 1000));
        var other = harness.Submit(Request(RandomPrompt(6), maxTokens: 1000));
        harness.Core.Step();
        Assert.Equal(2, harness.Core.Pool.InUse);

        aborted.RequestAbort();
        harness.Core.Step();

        Assert.Equal(1, harness.Core.Pool.InUse);
        Assert.Equal(GroupPhase.Done, aborted.Phase);
        Drain(aborted);
        Assert.True(aborted.Updates.Reader.Completion.IsCompletedSuccessfully);
        Assert.Equal(GroupPhase.Decoding, other.Phase);
    }

    [Fact]
    public void Step_DeadlinePassed_FailsWithTimeoutAndFreesSlots()
    {
        var harness = new EngineCoreHarness(slots: 2);
        var timed = harness.Submit(Request(RandomPrompt(6), maxTokens: 1000, n: 2, temperature: 1, timeout: TimeSpan.FromSeconds(3)));
        var untimed = harness.Submit(Request(RandomPrompt(6), maxTokens: 1000));
        harness.Core.Step();
        harness.Time.Advance(TimeSpan.FromSeconds(2));
        harness.Core.Step();
        Assert.Null(Error(timed));

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        harness.Core.Step();

        Assert.IsType<GenerationTimeoutException>(Error(timed));
        Assert.Equal(GroupPhase.Decoding, untimed.Phase);
        Assert.Equal(1, harness.Core.Pool.InUse);
    }

    [Fact]
    public void Step_RunnerThrowsForOneRequestsDecode_OthersContinueUnchanged()
    {
        var harness = new EngineCoreHarness(slots: 3);
        int[][] prompts = [RandomPrompt(5), RandomPrompt(9), RandomPrompt(13)];
        var groups = prompts.Select(p => harness.Submit(Request(p, maxTokens: 12))).ToArray();
        harness.Core.Step();
        int failingSlot = groups[1].Samples[0].Slot;
        harness.Core.Step();
        harness.Runner.FailWhen = (slot, _) => slot == failingSlot;

        harness.RunUntilIdle();

        Assert.IsType<GenerationFailedException>(Error(groups[1]));
        var rejected = Assert.IsType<StepEntryException>(Error(groups[1])!.InnerException);
        Assert.IsType<InvalidOperationException>(rejected.InnerException);
        Assert.Equal(harness.GreedyReference(prompts[0], 12), Tokens(Drain(groups[0])));
        Assert.Equal(harness.GreedyReference(prompts[2], 12), Tokens(Drain(groups[2])));
        Assert.Equal(0, harness.Core.Pool.InUse);
    }

    [Fact]
    public void Step_RunnerThrowsInOnePrefill_OthersFinish()
    {
        var harness = new EngineCoreHarness(slots: 3);
        int[] bad = RandomPrompt(20);
        bad[11] = 49;
        int[] good = RandomPrompt(20).Select(t => t % 49).ToArray();
        var failing = harness.Submit(Request(bad, maxTokens: 1));
        var healthy = harness.Submit(Request(good, maxTokens: 4));
        harness.Runner.FailWhen = (_, token) => token == 49 && failing.Phase == GroupPhase.Prefilling;

        harness.RunUntilIdle();

        Assert.IsType<GenerationFailedException>(Error(failing));
        Assert.Equal(harness.GreedyReference(good, 4), Tokens(Drain(healthy)));
    }

    [Fact]
    public void Step_ChooserThrows_OnlyThatRequestFails()
    {
        var harness = new EngineCoreHarness(slots: 2);
        harness.Choosers.FailingSeed = 1234;
        int[] prompt = RandomPrompt(8);
        var failing = harness.Submit(Request(RandomPrompt(8), seed: 1234));
        var healthy = harness.Submit(Request(prompt, maxTokens: 5, seed: 99));

        harness.RunUntilIdle();

        Assert.IsType<GenerationFailedException>(Error(failing));
        Assert.Equal(harness.GreedyReference(prompt, 5), Tokens(Drain(healthy)));
        Assert.Equal(0, harness.Core.Pool.InUse);
    }

    [Fact]
    public void Step_RunnerFailsMidStep_FailsEveryRequestInTheStepAndKeepsServing()
    {
        var harness = new EngineCoreHarness(slots: 4);
        var groups = Enumerable.Range(0, 3).Select(_ => harness.Submit(Request(RandomPrompt(6), maxTokens: 50))).ToArray();
        harness.Core.Step();
        harness.Runner.CrashWhen = batch => batch.Entries.Count == 3;

        harness.Core.Step();

        Assert.All(groups, g => Assert.IsType<InvalidOperationException>(Assert.IsType<GenerationFailedException>(Error(g)).InnerException));
        Assert.Equal(0, harness.Core.Pool.InUse);
        harness.Runner.CrashWhen = null;
        int[] prompt = RandomPrompt(9);
        var after = harness.Submit(Request(prompt, maxTokens: 5));
        harness.RunUntilIdle();
        Assert.Equal(harness.GreedyReference(prompt, 5), Tokens(Drain(after)));
    }

    [Fact]
    public void Step_DecodesAndNewPrompt_RunAsOneBatch()
    {
        var harness = new EngineCoreHarness(slots: 3);
        harness.Submit(Request(RandomPrompt(5), maxTokens: 10, n: 2, temperature: 1));
        harness.Core.Step();
        int stepsBefore = harness.Runner.StepSizes.Count, entriesBefore = harness.Runner.Entries.Count;

        harness.Submit(Request(RandomPrompt(7), maxTokens: 10));
        harness.Core.Step();

        Assert.Equal(stepsBefore + 1, harness.Runner.StepSizes.Count);
        var step = harness.Runner.Entries.Skip(entriesBefore).ToList();
        Assert.Equal([(1, 1), (1, 1), (7, 1)], step.Select(e => (e.Length, e.Samples)));
        Assert.NotEqual(step[0].Slot, step[1].Slot);
    }
}
