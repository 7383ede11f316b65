using MambaServe.Engine.Backends.Cpu;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Backends.Cpu;

/// <summary>Slot semantics of the runner: batch invariance, fork, zero, snapshot/restore, and argument checks.</summary>
public class CpuModelRunnerSlotTests
{
    private static readonly string Model = ReferenceSet.ModelDir("tiny-b");

    private static int[] RandomTokens(Random rng, int count, int vocab) =>
        Enumerable.Range(0, count).Select(_ => rng.Next(vocab)).ToArray();

    // Up to 16 rows every projection runs the native per-row linear, so a row's arithmetic does not depend on its
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

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance, string where)
    {
        for (var i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance, $"{where}, logit {i}: {actual[i]} vs {expected[i]}");
    }
}
