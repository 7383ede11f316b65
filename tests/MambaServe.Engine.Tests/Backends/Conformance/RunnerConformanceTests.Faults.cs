using MambaServe.Engine.Backends;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Backends.Conformance;

public abstract partial class RunnerConformanceTests
{
    [Fact]
    public void Step_BadTokenId_ThrowsForThatEntryAndLeavesEverySlotUnchanged()
    {
        var rng = new Random(107);
        using var runner = Create(4);
        using var reference = Create(4);
        int[][] prompts = [Tokens(rng, runner, 9), Tokens(rng, runner, 14)];
        foreach (var r in new[] { runner, reference })
        {
            r.Prefill(0, prompts[0]);
            r.Prefill(1, prompts[1]);
        }

        var before = Enumerable.Range(0, 4).Select(s => State(runner, s)).ToList();
        var batch = new StepBatch();
        batch.AddToken(0, 3).AddSample(0, Greedy(prompts[0]));
        batch.AddChunk(1, new[] { 4, 5 }).AddSample(3, Greedy(prompts[1]));
        batch.AddChunk(2, new[] { 6, runner.Config.VocabSize, 7 });

        var ex = Assert.Throws<StepEntryException>(() => runner.Step(batch));

        Assert.Equal(2, ex.EntryIndex);
        Assert.Equal(before, Enumerable.Range(0, 4).Select(s => State(runner, s)));

        // The engine's retry: the rest of the step runs as if the bad entry had never been there.
        batch.RemoveAt(2);
        runner.Step(batch);
        var clean = new StepBatch();
        clean.AddToken(0, 3).AddSample(0, Greedy(prompts[0]));
        clean.AddChunk(1, new[] { 4, 5 }).AddSample(3, Greedy(prompts[1]));
        reference.Step(clean);
        Assert.Equal(clean.Entries.Select(e => Choice(e.Samples[0])), batch.Entries.Select(e => Choice(e.Samples[0])));
        Assert.Equal(State(reference, 3), State(runner, 3));
    }

    private static (int TokenId, float Logprob) Choice(SampleTarget target) => (target.Chosen!.Value.TokenId, target.Chosen.Value.Logprob);

    [Fact]
    public void Step_SlotTwiceOrOutsideThePool_ThrowsNamingTheEntry()
    {
        using var runner = Create(3);
        var twice = new StepBatch();
        twice.AddToken(0, 1);
        twice.AddToken(1, 1).AddSample(0, Greedy([1]));
        var outside = new StepBatch();
        outside.AddToken(1, 1);
        outside.AddToken(3, 1);
        var empty = new StepBatch();
        empty.AddChunk(0, Array.Empty<int>());

        Assert.Equal(1, Assert.Throws<StepEntryException>(() => runner.Step(twice)).EntryIndex);
        Assert.Equal(1, Assert.Throws<StepEntryException>(() => runner.Step(outside)).EntryIndex);
        Assert.Equal(0, Assert.Throws<StepEntryException>(() => runner.Step(empty)).EntryIndex);
    }
}
