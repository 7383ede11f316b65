using MambaServe.Engine.Backends;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Backends.Conformance;

/// <summary>
/// The contract every <see cref="IModelRunner"/> keeps (docs/gpu-engine.md section 2), run against each runner: the
/// fake, the CPU runner, and the GPU runner where a device is present. A runner's test class derives from this one,
/// says how to build its runner and how exact it is, and may skip everything (no device here). Another test project
/// compiles this folder in (xunit v3 test projects cannot reference each other) together with
/// <c>Infrastructure/{TestPaths,ReferenceCase,ReferenceSet,RunnerSteps}.cs</c> and the fixtures. Sampling is the
/// runner's own, over its config's unpadded vocab.
/// </summary>
public abstract partial class RunnerConformanceTests
{
    /// <summary>A fresh runner of the model under test with <paramref name="slots"/> slots.</summary>
    protected abstract IModelRunner CreateRunner(int slots);

    /// <summary>A fresh runner of a reference model of tests/fixtures (<see cref="ReferenceSet"/> names); null when this runner cannot load checkpoints.</summary>
    protected virtual IModelRunner? CreateReferenceRunner(string model, int slots) => null;

    /// <summary>Null when the runner can run here; otherwise why not, and every case is skipped with it.</summary>
    protected virtual string? SkipReason => null;

    /// <summary>
    /// Largest absolute difference between logits that the same math reaches through different batching (several
    /// sequences in one step, a prompt in chunks); 0 demands bit-identical results.
    /// </summary>
    protected abstract float BatchingTolerance { get; }

    private IModelRunner Create(int slots)
    {
        if (SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }

        return CreateRunner(slots);
    }

    [Fact]
    public void Runner_Healthy_DescribesItsDeviceAndHasNoFault()
    {
        using var runner = Create(2);

        Assert.False(string.IsNullOrWhiteSpace(runner.Device.Name));
        Assert.Null(runner.FaultReason);
        Assert.True(runner.LogitsWidth >= runner.Config.UnpaddedVocabSize);
    }

    [Fact]
    public void Step_MixedPrefillAndDecode_EqualsEachSequenceAlone()
    {
        var rng = new Random(101);
        using var together = Create(6);
        using var alone = Create(6);
        int[][] prompts = [Tokens(rng, together, 13), Tokens(rng, together, 29)];
        foreach (var runner in new[] { together, alone })
        {
            runner.Prefill(0, prompts[0]);
            runner.Prefill(1, prompts[1]);
        }

        // Two decodes, a new prompt, and a one-token prompt: one step on one runner, four steps on the other.
        (int Slot, int[] Tokens)[] work = [(0, Tokens(rng, together, 1)), (1, Tokens(rng, together, 1)), (2, Tokens(rng, together, 9)), (5, Tokens(rng, together, 1))];
        var batch = new StepBatch();
        foreach (var (slot, tokens) in work)
        {
            batch.AddChunk(slot, tokens, allLogits: true).AddSample(slot, Greedy(tokens));
        }

        together.Step(batch);
        for (int i = 0; i < work.Length; i++)
        {
            var single = new StepBatch();
            var entry = single.AddChunk(work[i].Slot, work[i].Tokens, allLogits: true);
            var target = entry.AddSample(work[i].Slot, Greedy(work[i].Tokens));
            alone.Step(single);
            AssertClose(entry.Logits.Span, batch.Entries[i].Logits.Span, BatchingTolerance, $"entry {i}");
            AssertGreedyChoice(together, batch.Entries[i], BatchingTolerance == 0 ? target.Chosen!.Value.TokenId : null);
        }
    }

    [Fact]
    public void Step_SeveralPromptChunks_EachEqualsItsChunkAlone()
    {
        var rng = new Random(107);
        using var together = Create(5);
        using var alone = Create(5);
        // Slots 1 and 3 continue earlier prompts; 0, 2 and 4 start fresh.
        foreach (var (slot, length) in new[] { (1, 19), (3, 6) })
        {
            var earlier = Tokens(rng, together, length);
            together.Prefill(slot, earlier);
            alone.Prefill(slot, earlier);
        }

        // Chunks of different lengths that ask for all logits, the last row (a sample), or none at all.
        (int Slot, int[] Tokens, bool AllLogits, bool Sample)[] work =
        [
            (0, Tokens(rng, together, 5), true, true), (1, Tokens(rng, together, 17), false, true),
            (2, Tokens(rng, together, 2), false, false), (3, Tokens(rng, together, 33), true, false),
            (4, Tokens(rng, together, 11), false, true),
        ];
        var batch = new StepBatch();
        foreach (var w in work)
        {
            var entry = batch.AddChunk(w.Slot, w.Tokens, w.AllLogits);
            if (w.Sample) entry.AddSample(w.Slot, Greedy(w.Tokens));
        }

        together.Step(batch);
        AssertEachEntryEqualsItAlone(together, alone, batch);

        // Every chunk left its own slot's state, whether or not it asked for logits: the next token agrees.
        int[] slots = [0, 1, 2, 3, 4], next = Tokens(rng, together, slots.Length);
        AssertClose(alone.Decode(slots, next), together.Decode(slots, next), BatchingTolerance, "the token after the chunks");
    }

    [Fact]
    public void Step_ManyDecodesBesidePromptChunks_EachRowEqualsItAlone()
    {
        // More decode rows than a small batch holds (16+ rows take the CPU runner's GEMM, and share it with the chunks).
        const int decodes = 20;
        var rng = new Random(108);
        using var together = Create(decodes + 2);
        using var alone = Create(decodes + 2);
        for (int slot = 0; slot < decodes; slot++)
        {
            var prompt = Tokens(rng, together, 3 + slot % 5);
            together.Prefill(slot, prompt);
            alone.Prefill(slot, prompt);
        }

        var batch = new StepBatch();
        for (int slot = 0; slot < decodes + 2; slot++)
        {
            var tokens = Tokens(rng, together, slot == decodes ? 14 : slot == decodes + 1 ? 3 : 1);
            batch.AddChunk(slot, tokens, allLogits: slot % 3 == 0 || slot == decodes).AddSample(slot, Greedy(tokens));
        }

        together.Step(batch);
        AssertEachEntryEqualsItAlone(together, alone, batch);

        var slots = Enumerable.Range(0, decodes + 2).ToArray();
        var next = Tokens(rng, together, slots.Length);
        AssertClose(alone.Decode(slots, next), together.Decode(slots, next), BatchingTolerance, "the token after the step");
    }

    [Fact]
    public void Step_PromptInChunks_EqualsOnePrefill()
    {
        var rng = new Random(102);
        using var runner = Create(2);
        var prompt = Tokens(rng, runner, 37);
        var whole = runner.Prefill(0, prompt);

        var chunked = new List<float>();
        int start = 0;
        foreach (int length in new[] { 1, 4, 7, 25 })
        {
            chunked.AddRange(runner.Prefill(1, prompt[start..(start + length)]));
            start += length;
        }

        AssertClose(whole, chunked.ToArray(), BatchingTolerance, "chunked prompt");
    }

    [Fact]
    public void Step_ForkToOtherSlots_EveryTargetGetsTheSameStateAndToken()
    {
        var rng = new Random(103);
        using var runner = Create(4);
        var prompt = Tokens(rng, runner, 21);
        var batch = new StepBatch();
        var entry = batch.AddChunk(0, prompt);
        var targets = new[] { 0, 2, 3 }.Select(slot => entry.AddSample(slot, Greedy(prompt))).ToList();

        runner.Step(batch);

        Assert.Single(targets.Select(t => t.Chosen!.Value.TokenId).Distinct());
        var state = State(runner, 0);
        Assert.Equal(state, State(runner, 2));
        Assert.Equal(state, State(runner, 3));
        var next = runner.Decode([0, 2, 3], [targets[0].Chosen!.Value.TokenId, targets[0].Chosen!.Value.TokenId, targets[0].Chosen!.Value.TokenId]);
        int width = runner.LogitsWidth;
        AssertClose(next.AsSpan(0, width), next.AsSpan(width, width), BatchingTolerance, "fork 2");
        AssertClose(next.AsSpan(0, width), next.AsSpan(2 * width, width), BatchingTolerance, "fork 3");
    }

    [Fact]
    public void SnapshotRestore_IntoTwoSlots_BothContinueLikeTheOriginal()
    {
        var rng = new Random(104);
        using var runner = Create(3);
        runner.Prefill(0, Tokens(rng, runner, 17));
        using var snapshot = runner.Snapshot(0);
        var expected = runner.Prefill(0, [5, 6, 7]); // slot 0 moves on; the snapshot must not
        Assert.True(snapshot.SizeInBytes > 0);

        runner.Restore(1, snapshot);
        runner.Restore(2, snapshot);

        Assert.Equal(expected, runner.Prefill(1, [5, 6, 7]));
        Assert.Equal(expected, runner.Prefill(2, [5, 6, 7]));
    }

    [Fact]
    public void Restore_DisposedSnapshot_Throws()
    {
        using var runner = Create(2);
        var snapshot = runner.Snapshot(0);
        snapshot.Dispose();

        Assert.Throws<ObjectDisposedException>(() => runner.Restore(1, snapshot));
    }

    [Fact]
    public void ExportImport_IntoAnotherRunner_ContinuesIdentically()
    {
        var rng = new Random(105);
        using var first = Create(2);
        using var second = Create(2);
        var prompt = Tokens(rng, first, 23);
        first.Prefill(1, prompt);
        var bytes = State(first, 1);

        using var imported = second.ImportSnapshot(bytes);
        second.Restore(0, imported);

        Assert.Equal(bytes, second.ExportSnapshot(imported));
        Assert.Equal(first.Prefill(1, [9, 8, 7]), second.Prefill(0, [9, 8, 7]));
    }

    [Fact]
    public void ImportSnapshot_WrongBytes_ThrowsArgumentException()
    {
        using var runner = Create(1);
        var bytes = State(runner, 0);

        Assert.ThrowsAny<ArgumentException>(() => runner.ImportSnapshot(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.ThrowsAny<ArgumentException>(() => runner.ImportSnapshot(new byte[bytes.Length + 8]));
        Assert.ThrowsAny<ArgumentException>(() => runner.ImportSnapshot([]));
    }

    [Fact]
    public void Step_AllLogits_OneRowPerTokenAndOnlyWhereAskedFor()
    {
        var rng = new Random(106);
        using var runner = Create(2);
        var prompt = Tokens(rng, runner, 11);
        var batch = new StepBatch();
        var scored = batch.AddChunk(0, prompt, allLogits: true);
        scored.AddSample(0, Greedy(prompt));
        var plain = batch.AddChunk(1, prompt);
        plain.AddSample(1, Greedy(prompt));

        runner.Step(batch);

        Assert.Equal(prompt.Length * runner.LogitsWidth, scored.Logits.Length);
        Assert.True(plain.Logits.IsEmpty);
        AssertGreedyChoice(runner, scored, expected: null);
        Assert.Equal(scored.Samples[0].Chosen!.Value.TokenId, plain.Samples[0].Chosen!.Value.TokenId);
    }

    /// <summary>A slot's state as exported bytes: equal bytes, equal states.</summary>
    protected static byte[] State(IModelRunner runner, int slot)
    {
        using var snapshot = runner.Snapshot(slot);
        return runner.ExportSnapshot(snapshot);
    }

    protected static SequenceSampling Greedy(int[] prompt) => new(new SamplingParams { Temperature = 0 }, 0, prompt);

    protected static int[] Tokens(Random rng, IModelRunner runner, int count) =>
        Enumerable.Range(0, count).Select(_ => rng.Next(runner.Config.UnpaddedVocabSize)).ToArray();

    protected static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance, string where)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance, $"{where}, logit {i}: {actual[i]} vs {expected[i]} (tolerance {tolerance})");
        }
    }

    /// <summary>
    /// Runs each entry of <paramref name="batch"/>, already stepped on <paramref name="together"/>, alone on
    /// <paramref name="alone"/> (every position's logits, the same targets) and checks the batched entry against it:
    /// the logits it asked for, none where it asked for none, and its greedy choice.
    /// </summary>
    private void AssertEachEntryEqualsItAlone(IModelRunner together, IModelRunner alone, StepBatch batch)
    {
        for (int i = 0; i < batch.Entries.Count; i++)
        {
            var batched = batch.Entries[i];
            var single = new StepBatch();
            var entry = single.AddChunk(batched.Slot, batched.Tokens.ToArray(), allLogits: true);
            foreach (var target in batched.Samples) entry.AddSample(target.Slot, target.Sampling);
            alone.Step(single);
            if (batched.AllLogits)
                AssertClose(entry.Logits.Span, batched.Logits.Span, BatchingTolerance, $"entry {i}");
            else
                Assert.True(batched.Logits.IsEmpty, $"entry {i} returned logits nobody asked for");
            if (batched.Samples.Count > 0) AssertSameGreedyChoice(together, entry, batched);
        }
    }

    /// <summary>
    /// A greedy entry of a batched step chose what the same entry alone did, where batching is exact; otherwise (a near
    /// tie may flip within the tolerance) it chose the argmax of its own logits, where it has them.
    /// </summary>
    private void AssertSameGreedyChoice(IModelRunner runner, StepEntry alone, StepEntry batched)
    {
        if (BatchingTolerance == 0)
            Assert.Equal(alone.Samples[0].Chosen!.Value.TokenId, batched.Samples[0].Chosen!.Value.TokenId);
        else if (!batched.Logits.IsEmpty)
            AssertGreedyChoice(runner, batched, expected: null);
    }

    /// <summary>The entry's greedy token is the argmax of its last logits row over the sampleable vocab (and <paramref name="expected"/>).</summary>
    private static void AssertGreedyChoice(IModelRunner runner, StepEntry entry, int? expected)
    {
        var last = entry.Logits.Span[^runner.LogitsWidth..][..runner.Config.UnpaddedVocabSize];
        int argmax = 0;
        for (int v = 1; v < last.Length; v++)
        {
            if (last[v] > last[argmax])
            {
                argmax = v;
            }
        }

        Assert.Equal(argmax, entry.Samples[0].Chosen!.Value.TokenId);
        if (expected is { } token)
        {
            Assert.Equal(token, argmax);
        }
    }
}
