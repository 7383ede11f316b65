using MambaServe.Engine.Backends.Cpu;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Backends.Cpu;

/// <summary>Slot semantics of the runner: batch invariance, fork, zero, snapshot/restore, and argument checks.</summary>
public class CpuModelRunnerSlotTests
{
    private static readonly string Model = ReferenceSet.ModelDir("tiny-b");

    private static int[] RandomTokens(Random rng, int count, int vocab) =>
        Enumerable.Range(0, count).Select(_ => rng.Next(vocab)).ToArray();

    [Fact]
    public void Decode_BatchOfSlotsAtDifferentPositions_EqualsDecodingEachAlone()
    {
        var rng = new Random(11);
        int[] slots = [5, 2, 7, 0];
        int[] promptLengths = [3, 10, 25, 40];
        using var batched = LoadedRunners.Create(Model, slots: 8);
        using var alone = LoadedRunners.Create(Model, slots: 8);
        var vocab = batched.Config.UnpaddedVocabSize;
        var width = batched.LogitsWidth;
        var prompts = promptLengths.Select(n => RandomTokens(rng, n, vocab)).ToArray();
        var scratch = new float[width];
        for (var i = 0; i < slots.Length; i++)
        {
            batched.Prefill(slots[i], prompts[i], scratch, allLogits: false);
            alone.Prefill(slots[i], prompts[i], scratch, allLogits: false);
        }

        for (var step = 0; step < 6; step++)
        {
            var tokens = RandomTokens(rng, slots.Length, vocab);
            var batchLogits = new float[slots.Length * width];
            batched.Decode(slots, tokens, batchLogits);
            for (var i = 0; i < slots.Length; i++)
            {
                var single = new float[width];
                alone.Decode([slots[i]], [tokens[i]], single);
                AssertClose(single, batchLogits.AsSpan(i * width, width), $"step {step}, slot {slots[i]}");
            }
        }
    }

    [Fact]
    public void CopySlot_AfterPrefill_ForkContinuesIdentically()
    {
        var rng = new Random(12);
        using var runner = LoadedRunners.Create(Model, slots: 4);
        var prompt = RandomTokens(rng, 20, runner.Config.UnpaddedVocabSize);
        var scratch = new float[runner.LogitsWidth];
        runner.Prefill(1, prompt, scratch, allLogits: false);
        runner.CopySlot(1, 3);

        var a = new float[runner.LogitsWidth];
        var b = new float[runner.LogitsWidth];
        runner.Decode([1], [42], a);
        runner.Decode([3], [42], b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void SnapshotRestore_IntoOtherSlot_EqualsContinuingOriginal()
    {
        var rng = new Random(13);
        using var runner = LoadedRunners.Create(Model, slots: 4);
        var prompt = RandomTokens(rng, 33, runner.Config.UnpaddedVocabSize);
        var scratch = new float[runner.LogitsWidth];
        runner.Prefill(0, prompt, scratch, allLogits: false);
        var snapshot = runner.Snapshot(0);
        Assert.Equal(runner.Config.ConvStateElementsPerSlot, snapshot.Conv.LongLength);
        Assert.Equal(runner.Config.SsmStateElementsPerSlot, snapshot.Ssm.LongLength);
        Assert.Contains(snapshot.Ssm, v => v != 0f);

        runner.Restore(2, snapshot);
        var a = new float[runner.LogitsWidth];
        var b = new float[runner.LogitsWidth];
        runner.Prefill(0, [7, 8, 9], a, allLogits: false);
        runner.Prefill(2, [7, 8, 9], b, allLogits: false);
        Assert.Equal(a, b);
    }

    [Fact]
    public void ZeroSlot_AfterUse_BehavesLikeFreshSlot()
    {
        var rng = new Random(14);
        using var runner = LoadedRunners.Create(Model, slots: 2);
        var prompt = RandomTokens(rng, 12, runner.Config.UnpaddedVocabSize);
        var fresh = new float[runner.LogitsWidth];
        runner.Prefill(1, prompt, fresh, allLogits: false);

        runner.Prefill(0, RandomTokens(rng, 9, runner.Config.UnpaddedVocabSize), new float[runner.LogitsWidth], allLogits: false);
        runner.ZeroSlot(0);
        var reused = new float[runner.LogitsWidth];
        runner.Prefill(0, prompt, reused, allLogits: false);
        Assert.Equal(fresh, reused);
    }

    [Fact]
    public void BadArguments_AreRejectedBeforeCompute()
    {
        using var runner = LoadedRunners.Create(Model, slots: 2);
        var logits = new float[2 * runner.LogitsWidth];
        Assert.Throws<ArgumentOutOfRangeException>(() => runner.Prefill(2, [1], logits, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => runner.Prefill(0, [runner.Config.VocabSize], logits, false));
        Assert.Throws<ArgumentException>(() => runner.Prefill(0, [], logits, false));
        Assert.Throws<ArgumentException>(() => runner.Decode([0, 0], [1, 2], logits));
        Assert.Throws<ArgumentException>(() => runner.Decode([0, 1], [1], logits));
        Assert.Throws<ArgumentException>(() => runner.Prefill(0, [1, 2], new float[10], true));
    }

    [Fact]
    public void Decode_SlotRepeatedLaterInBatch_ThrowsNamingSlot()
    {
        using var runner = LoadedRunners.Create(Model, slots: 4);
        var logits = new float[3 * runner.LogitsWidth];

        var ex = Assert.Throws<ArgumentException>(() => runner.Decode([1, 3, 1], [5, 6, 7], logits));

        Assert.Contains("Slot 1 appears twice", ex.Message);
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string where)
    {
        // Batched and single decode use different BLAS paths (gemm vs gemv) for the projections, so the last bits
        // may differ; anything beyond float32 rounding noise is a real mix-up between sequences.
        for (var i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-5f, $"{where}, logit {i}: {actual[i]} vs {expected[i]}");
    }
}
