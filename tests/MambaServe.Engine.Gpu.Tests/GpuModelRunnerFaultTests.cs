using MambaServe.Engine.Backends;
using MambaServe.Engine.Gpu.Tests.Infrastructure;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.State;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Gpu.Tests;

/// <summary>Bad input and settings: what the model refuses reaches the engine as the right exception, with the sizes.</summary>
public sealed class GpuModelRunnerFaultTests
{
    private static string TinyB => ReferenceSet.ModelDir("tiny-b");

    [Fact]
    public void Step_SamplingTheModelRefuses_StepEntryExceptionForThatEntryAndNoStateChanged()
    {
        using var runner = ReferenceRunners.Create(TinyB, slots: 3);
        runner.Prefill(0, [1, 2, 3]);
        runner.Prefill(1, [4, 5]);
        var before = Enumerable.Range(0, 3).Select(s => State(runner, s)).ToList();
        var batch = new StepBatch();
        batch.AddToken(0, 6).AddSample(0, new SequenceSampling(new SamplingParams { Temperature = 0 }, 1, [1]));
        // The step validator checks slots and tokens; sampling ranges only the model checks (the API validated them earlier).
        batch.AddChunk(1, new[] { 7, 8 }).AddSample(2, new SequenceSampling(new SamplingParams { TopP = 1.5f }, 1, [1]));

        var ex = Assert.Throws<StepEntryException>(() => runner.Step(batch));

        Assert.Equal(1, ex.EntryIndex);
        Assert.Contains("top_p must be in (0, 1], got 1.5", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Enumerable.Range(0, 3).Select(s => State(runner, s)));
        batch.RemoveAt(1);
        runner.Step(batch);
        Assert.NotNull(batch.Entries[0].Samples[0].Chosen);
    }

    [Fact]
    public void Begin_AContinuingBatchTheModelRefuses_LeavesTheSamplersWhereTheyWere()
    {
        // A refused batch begun ahead is begun again without the bad entry: the other rows' RNG positions must not count
        // the refused attempt, so they keep drawing what steps in turn draw.
        int[] prompt = [5, 9, 2, 7, 1];
        var sampling = new SequenceSampling(new SamplingParams { Temperature = 1.3f, Seed = 3 }, 3, prompt);
        var refused = new SequenceSampling(new SamplingParams { TopP = 1.5f }, 1, [1]);
        using var ahead = ReferenceRunners.Create(TinyB, slots: 2);
        using var inTurn = ReferenceRunners.Create(TinyB, slots: 2);
        var expected = new List<int>();
        var batch = new StepBatch();
        batch.AddChunk(0, prompt).AddSample(0, sampling);
        inTurn.Step(batch);
        for (int i = 0; i < 6; i++)
        {
            expected.Add(batch.Entries[0].Samples[0].Chosen!.Value.TokenId);
            batch = new StepBatch();
            batch.AddToken(0, expected[^1]).AddSample(0, sampling);
            inTurn.Step(batch);
        }

        var previous = new StepBatch();
        previous.AddChunk(0, prompt).AddSample(0, sampling);
        previous.AddChunk(1, new[] { 4, 4 }).AddSample(1, Greedy());
        ahead.Begin(previous);
        var actual = new List<int>();
        for (int i = 0; i < 6; i++)
        {
            var next = new StepBatch();
            next.AddNextToken(0, previous.Entries[0].Samples[0]).AddSample(0, sampling);
            if (i == 0)
            {
                next.AddNextToken(1, previous.Entries[1].Samples[0]).AddSample(1, refused);
                var ex = Assert.Throws<StepEntryException>(() => ahead.Begin(next));
                Assert.Equal(1, ex.EntryIndex);
                next.RemoveAt(1);
            }

            ahead.Begin(next);
            ahead.End(previous);
            actual.Add(previous.Entries[0].Samples[0].Chosen!.Value.TokenId);
            previous = next;
        }

        ahead.End(previous);
        Assert.Equal(expected, actual);
    }

    private static SequenceSampling Greedy() => new(new SamplingParams { Temperature = 0 }, 0, [1]);

    [Fact]
    public void Create_BudgetBelowOneSlot_InsufficientMemoryNamingTheSlotSize()
    {
        var pool = new StatePoolOptions { MemoryBudgetBytes = 100 };

        var ex = Assert.Throws<InsufficientMemoryException>(() => ReferenceRunners.Create(CheckpointWeightSource.Open(TinyB), pool));

        Assert.Matches(@"MemoryBudgetBytes 100 is below one slot \(\d+ bytes\)", ex.Message);
    }

    [Fact]
    public void Create_NoSlotCount_PoolSizedFromFreeMemoryUpToTheLimit()
    {
        using var limited = ReferenceRunners.Create(CheckpointWeightSource.Open(TinyB), new StatePoolOptions { SlotLimit = 5 });
        using var budget = ReferenceRunners.Create(CheckpointWeightSource.Open(TinyB), new StatePoolOptions { MemoryBudgetBytes = 3 * limited.Settings.BytesPerSlot + 1 });

        Assert.Equal(5, limited.SlotCount);
        Assert.Equal(3, budget.SlotCount);
        Assert.Equal("fp32 weights, fp32 state, 5 slots", limited.Device.Details);
    }

    [Fact]
    public void Create_HalfWeightsOnTheReferenceLibrary_RefusedBeforeAnyWeightIsRead()
    {
        var ex = Assert.Throws<SettingNotSupportedException>(() =>
            ReferenceRunners.Create(CheckpointWeightSource.Open(TinyB), new StatePoolOptions { SlotCount = 1 }, dtype: ModelDType.BFloat16));

        Assert.Contains("dtype bfloat16 is not supported by the reference model library", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_AnotherRunnersSnapshot_ArgumentException()
    {
        using var first = ReferenceRunners.Create(TinyB, slots: 2);
        using var second = ReferenceRunners.Create(TinyB, slots: 2);
        using var snapshot = first.Snapshot(0);

        Assert.Throws<ArgumentException>(() => second.Restore(0, snapshot));
    }

    private static byte[] State(IModelRunner runner, int slot)
    {
        using var snapshot = runner.Snapshot(slot);
        return runner.ExportSnapshot(snapshot);
    }
}
