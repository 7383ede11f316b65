using MambaServe.Engine.Backends;
using MambaServe.Engine.Cpu.Tests.Infrastructure;
using MambaServe.Engine.Cpu;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Cpu.Tests;

/// <summary>Slot semantics of the runner: batch invariance, fork, zero, snapshot/restore, and argument checks.</summary>
public class CpuModelRunnerSlotTests
{
    private static readonly string Model = ReferenceSet.ModelDir("tiny-b");

    private static int[] RandomTokens(Random rng, int count, int vocab) =>
        Enumerable.Range(0, count).Select(_ => rng.Next(vocab)).ToArray();

    // Up to 15 rows every projection runs the native per-row linear, so a row's arithmetic does not depend on its
    // batch: logits are bit-identical. Beyond that libtorch's GEMM groups rows into blocks and may round the last
    // bit differently; anything beyond float32 noise there would be a real mix-up between sequences.
    [Theory]
    [InlineData(4, 0f)]
    [InlineData(20, 1e-5f)]
    public void Decode_BatchOfSlotsAtDifferentPositions_EqualsDecodingEachAlone(int batch, float tolerance)
    {
        var rng = new Random(11 + batch);
        var slots = Enumerable.Range(0, 2 * batch).OrderBy(_ => rng.Next()).Take(batch).ToArray();
        using var batched = LoadedRunners.Create(Model, slots: 2 * batch);
        using var alone = LoadedRunners.Create(Model, slots: 2 * batch);
        var vocab = batched.Config.UnpaddedVocabSize;
        var width = batched.LogitsWidth;
        var prompts = slots.Select(_ => RandomTokens(rng, rng.Next(1, 48), vocab)).ToArray();
        for (var i = 0; i < slots.Length; i++)
        {
            batched.Prefill(slots[i], prompts[i]);
            alone.Prefill(slots[i], prompts[i]);
        }

        for (var step = 0; step < 6; step++)
        {
            var tokens = RandomTokens(rng, slots.Length, vocab);
            var batchLogits = batched.Decode(slots, tokens);
            for (var i = 0; i < slots.Length; i++)
            {
                var single = alone.Decode([slots[i]], [tokens[i]]);
                AssertClose(single, batchLogits.AsSpan(i * width, width), tolerance, $"step {step}, slot {slots[i]}");
            }
        }
    }

    [Fact]
    public void CopySlot_AfterPrefill_ForkContinuesIdentically()
    {
        var rng = new Random(12);
        using var runner = LoadedRunners.Create(Model, slots: 4);
        var prompt = RandomTokens(rng, 20, runner.Config.UnpaddedVocabSize);
        runner.Prefill(1, prompt);
        runner.CopySlot(1, 3);

        var a = runner.Decode([1], [42]);
        var b = runner.Decode([3], [42]);
        Assert.Equal(a, b);
    }

    [Fact]
    public void SnapshotRestore_IntoOtherSlot_EqualsContinuingOriginal()
    {
        var rng = new Random(13);
        using var runner = LoadedRunners.Create(Model, slots: 4);
        var prompt = RandomTokens(rng, 33, runner.Config.UnpaddedVocabSize);
        runner.Prefill(0, prompt);
        var snapshot = (CpuStateSnapshot)runner.Snapshot(0);
        Assert.Equal(runner.Config.ConvStateElementsPerSlot, snapshot.Conv.LongLength);
        Assert.Equal(runner.Config.SsmStateElementsPerSlot, snapshot.Ssm.LongLength);
        Assert.Contains(snapshot.Ssm, v => v != 0f);

        runner.Restore(2, snapshot);
        var a = runner.Prefill(0, [7, 8, 9]);
        var b = runner.Prefill(2, [7, 8, 9]);
        Assert.Equal(a, b);
    }

    [Fact]
    public void ZeroSlot_AfterUse_BehavesLikeFreshSlot()
    {
        var rng = new Random(14);
        using var runner = LoadedRunners.Create(Model, slots: 2);
        var prompt = RandomTokens(rng, 12, runner.Config.UnpaddedVocabSize);
        var fresh = runner.Prefill(1, prompt);

        runner.Prefill(0, RandomTokens(rng, 9, runner.Config.UnpaddedVocabSize));
        runner.ZeroSlot(0);
        var reused = runner.Prefill(0, prompt);
        Assert.Equal(fresh, reused);
    }

    [Fact]
    public void Step_BadEntries_AreRejectedBeforeComputeNamingTheEntry()
    {
        using var runner = LoadedRunners.Create(Model, slots: 2);
        Assert.Equal(0, Assert.Throws<StepEntryException>(() => runner.Prefill(2, [1])).EntryIndex);
        Assert.Equal(0, Assert.Throws<StepEntryException>(() => runner.Prefill(0, [runner.Config.VocabSize])).EntryIndex);
        Assert.Equal(0, Assert.Throws<StepEntryException>(() => runner.Prefill(0, [])).EntryIndex);
        Assert.Equal(1, Assert.Throws<StepEntryException>(() => runner.Decode([0, 0], [1, 2])).EntryIndex);
        Assert.Equal(0, Assert.Throws<StepEntryException>(() => runner.Decode([-1], [1])).EntryIndex);
    }

    [Fact]
    public void Step_SlotRepeatedLaterInBatch_ThrowsNamingSlotAndEntry()
    {
        using var runner = LoadedRunners.Create(Model, slots: 4);

        var ex = Assert.Throws<StepEntryException>(() => runner.Decode([1, 3, 1], [5, 6, 7]));

        Assert.Contains("Slot 1 appears twice", ex.Message);
        Assert.Equal(2, ex.EntryIndex);
    }

    [Fact]
    public void Step_PromptChunkWithoutSamples_LeavesSameStateAsOneThatSamples()
    {
        var rng = new Random(15);
        using var runner = LoadedRunners.Create(Model, slots: 2);
        var prompt = RandomTokens(rng, 40, runner.Config.UnpaddedVocabSize);
        var batch = new StepBatch();
        batch.AddChunk(0, prompt[..30]);
        batch.AddChunk(1, prompt[..30]).AddSample(1, new SequenceSampling(new SamplingParams { Temperature = 0 }, 1, prompt));
        runner.Step(batch);

        Assert.Null(batch.Entries[0].Samples.FirstOrDefault());
        Assert.NotNull(batch.Entries[1].Samples[0].Chosen);
        Assert.Equal(runner.Prefill(1, prompt[30..]), runner.Prefill(0, prompt[30..]));
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance, string where)
    {
        for (var i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance, $"{where}, logit {i}: {actual[i]} vs {expected[i]}");
    }
}
