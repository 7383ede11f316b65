using MambaServe.Engine.Scheduling;
using MambaServe.Engine.State;
using static MambaServe.Engine.Tests.Scheduling.EngineCoreHarness;

namespace MambaServe.Engine.Tests.Scheduling;

public sealed class SchedulerTests
{
    private long _arrivals;

    private SequenceGroup Group(int promptLength, int n = 1, int priority = 0, int? promptLogprobs = null) =>
        new(Request(RandomPrompt(promptLength), n: n, priority: priority, temperature: n > 1 ? 1 : 0, promptLogprobs: promptLogprobs), ++_arrivals, null, 1);

    /// <summary>Plays the executor's part: prefill chunks advance, a finished prompt starts decoding.</summary>
    private static void Execute(StepPlan plan)
    {
        foreach (var chunk in plan.Prefills)
        {
            chunk.Group.PrefilledLength = chunk.Start + chunk.Length;
            if (chunk.CompletesPrompt)
            {
                chunk.Group.Phase = GroupPhase.Decoding;
            }
        }
    }

    [Fact]
    public void Schedule_ManyLongPrompts_NeverExceedsTokenBudgetAndDecodesEveryRunningSample()
    {
        var options = new SchedulerOptions { MaxRunningSequences = 6, MaxBatchTokensPerStep = 20, PrefillChunkSize = 16, PrefixCacheInterval = 4 };
        var scheduler = new Scheduler(options, new StatePool(6, _ => { }), null);
        var groups = Enumerable.Range(0, 6).Select(_ => Group(Random.Shared.Next(1, 90))).ToList();
        groups.ForEach(scheduler.Enqueue);

        for (int step = 0; step < 200 && groups.Any(g => g.Phase != GroupPhase.Decoding); step++)
        {
            var plan = scheduler.Schedule();
            int decoding = groups.Count(g => g.Phase == GroupPhase.Decoding);

            Assert.Equal(decoding, plan.Decodes.Count);
            Assert.InRange(plan.TokenCount, 1, options.MaxBatchTokensPerStep);
            Assert.Equal(plan.TokenCount, plan.Decodes.Count + plan.Prefills.Sum(c => c.Length));
            Assert.All(plan.Prefills, c => Assert.InRange(c.Length, 1, options.PrefillChunkSize));
            Execute(plan);
        }

        Assert.All(groups, g => Assert.Equal(GroupPhase.Decoding, g.Phase));
    }

    [Fact]
    public void Schedule_ChunkCrossesCacheInterval_EndsOnBoundaryExceptAtPromptEnd()
    {
        var options = new SchedulerOptions { MaxRunningSequences = 1, MaxBatchTokensPerStep = 64, PrefillChunkSize = 13, PrefixCacheInterval = 8 };
        var scheduler = new Scheduler(options, new StatePool(1, _ => { }), null);
        var group = Group(30);
        scheduler.Enqueue(group);

        var ends = new List<int>();
        while (group.Phase != GroupPhase.Decoding)
        {
            var plan = scheduler.Schedule();
            ends.AddRange(plan.Prefills.Select(c => c.Start + c.Length));
            Execute(plan);
        }

        Assert.Equal([8, 16, 24, 30], ends);
    }

    [Fact]
    public void Schedule_PrefixCacheOn_NoChunkCrossesABoundary()
    {
        var options = new SchedulerOptions { MaxRunningSequences = 1, MaxBatchTokensPerStep = 64, PrefillChunkSize = 20, PrefixCacheInterval = 8 };
        var scheduler = new Scheduler(options, new StatePool(1, _ => { }), new PrefixStateCache(8, 1 << 20));
        var group = Group(30);
        scheduler.Enqueue(group);

        var ends = new List<int>();
        while (group.Phase != GroupPhase.Decoding)
        {
            var plan = scheduler.Schedule();
            ends.AddRange(plan.Prefills.Select(c => c.Start + c.Length));
            Execute(plan);
        }

        Assert.Equal([8, 16, 24, 30], ends);
    }

    [Fact]
    public void Schedule_ScoringRequests_ShareTheStepsScoredRows()
    {
        var options = new SchedulerOptions { MaxRunningSequences = 3, MaxBatchTokensPerStep = 4096, PrefillChunkSize = 1000 };
        var scheduler = new Scheduler(options, new StatePool(3, _ => { }), null);
        var scoring = Enumerable.Range(0, 3).Select(_ => Group(200, promptLogprobs: 1)).ToList();
        scoring.ForEach(scheduler.Enqueue);

        var plan = scheduler.Schedule();

        Assert.Equal([200, Scheduler.ScoredRowsPerStep - 200], plan.Prefills.Select(c => c.Length));
        Assert.Equal(GroupPhase.Waiting, scoring[2].Phase);
    }

    [Fact]
    public void Schedule_HeadNeedsMoreSlotsThanFree_AdmitsNothingBehindIt()
    {
        var options = new SchedulerOptions { MaxRunningSequences = 3, MaxBatchTokensPerStep = 64, PrefillChunkSize = 16 };
        var pool = new StatePool(3, _ => { });
        var scheduler = new Scheduler(options, pool, null);
        var running = Group(5, n: 2);
        scheduler.Enqueue(running);
        Execute(scheduler.Schedule());

        var head = Group(5, n: 2);
        var small = Group(5, n: 1);
        scheduler.Enqueue(head);
        scheduler.Enqueue(small);
        var plan = scheduler.Schedule();

        Assert.Empty(plan.Admitted);
        Assert.Equal(GroupPhase.Waiting, small.Phase);
        Assert.Equal(2, pool.InUse);

        scheduler.Remove(running);
        Assert.Equal([head, small], scheduler.Schedule().Admitted);
    }

    [Fact]
    public void Schedule_RemovedWhileWaiting_IsSkipped()
    {
        var scheduler = new Scheduler(new SchedulerOptions { MaxRunningSequences = 2, MaxBatchTokensPerStep = 64 }, new StatePool(2, _ => { }), null);
        var removed = Group(4);
        var kept = Group(4);
        scheduler.Enqueue(removed);
        scheduler.Enqueue(kept);

        scheduler.Remove(removed);

        Assert.Equal([kept], scheduler.Schedule().Admitted);
        Assert.Equal(-1, removed.Samples[0].Slot);
    }
}
