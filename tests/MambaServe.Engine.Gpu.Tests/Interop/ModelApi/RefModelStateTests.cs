using MambaServe.Engine.Gpu.Tests.Infrastructure;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>
/// Forks, snapshots and exported snapshots of the reference model: the state they carry continues a sequence
/// exactly where the reference does. Each test runs the prompt, moves its state somewhere, and teacher-forces the
/// rest of the case from there.
/// </summary>
public sealed class RefModelStateTests
{
    public static TheoryData<string, int> Cases => ReferenceRows.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Step_ForkTarget_SamplesTheSameRowAndContinuesFromTheCopiedState(string model, int caseIndex)
    {
        var c = ReferenceSet.Cases(model)[caseIndex];
        using var m = ReferenceRows.Load(model);

        var r = m.Step(new EntryRequest(0, c.Tokens[..c.PromptLength], Samples:
            [new SampleRequest(0, SamplingSpec.Greedy), new SampleRequest(5, SamplingSpec.Greedy)]));
        m.ZeroSlot(0);  // the fork must not depend on the source slot afterwards

        Assert.Equal(r.Tokens[0], r.Tokens[1]);
        if (c.PromptLength < c.Tokens.Length) Assert.Equal(c.Tokens[c.PromptLength], r.Tokens[1]);
        AssertContinues(m, 5, c, c.PromptLength);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Restore_AfterTheSlotRanOtherTokens_ContinuesLikeTheReference(string model, int caseIndex)
    {
        var c = ReferenceSet.Cases(model)[caseIndex];
        using var m = ReferenceRows.Load(model);
        m.Step(new EntryRequest(2, c.Tokens[..c.PromptLength]));
        using var snapshot = m.Snapshot(2);
        m.Step(new EntryRequest(2, RandomTokens(9, c.Vocab)));

        m.Restore(2, snapshot);
        m.Restore(6, snapshot);

        AssertContinues(m, 2, c, c.PromptLength);
        AssertContinues(m, 6, c, c.PromptLength);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ImportIntoAnotherModel_OfAnExport_ContinuesLikeTheReference(string model, int caseIndex)
    {
        var c = ReferenceSet.Cases(model)[caseIndex];
        byte[] bytes;
        using (var source = ReferenceRows.Load(model))
        {
            source.Step(new EntryRequest(1, c.Tokens[..c.PromptLength]));
            using var snapshot = source.Snapshot(1);
            bytes = snapshot.Export();
        }
        using var m = ReferenceRows.Load(model);
        m.Step(new EntryRequest(4, RandomTokens(5, c.Vocab)));

        using var imported = m.Import(bytes);
        m.Restore(4, imported);

        Assert.Equal(bytes.Length, imported.Bytes);
        Assert.Equal(bytes, imported.Export());
        AssertContinues(m, 4, c, c.PromptLength);
    }

    [Fact]
    public void SnapshotBytes_Fp32AndBf16State_HeaderPlusConvPlusSsm()
    {
        var checkpoint = Checkpoints.Load(ReferenceSet.ModelDir("tiny-b"));
        var cfg = checkpoint.Config;
        using var f32 = RefModel.FromCheckpoint(checkpoint, 2);
        using var bf16 = RefModel.FromCheckpoint(checkpoint, 2, MsvDtype.BF16);
        using var a = f32.Snapshot(0);
        using var b = bf16.Snapshot(0);

        Assert.Equal(32 + cfg.ConvStateElementsPerSlot * 4 + cfg.SsmStateElementsPerSlot * 4, a.Bytes);
        Assert.Equal(32 + cfg.ConvStateElementsPerSlot * 4 + cfg.SsmStateElementsPerSlot * 2, b.Bytes);
        var ex = Assert.Throws<NativeKernelException>(() => f32.Import(b.Export()));
        Assert.Equal(MsvStatus.InvalidArgument, ex.Status);
    }

    /// <summary>Teacher-forces c.Tokens[from..] into <paramref name="slot"/> and compares every row.</summary>
    private static void AssertContinues(RefModel m, int slot, ReferenceCase c, int from)
    {
        if (from >= c.Tokens.Length) return;
        ReferenceRows.AssertMatch(c, m.Logits(slot, c.Tokens[from..]), m.Config.Vocab, from, c.Tokens.Length - from);
    }

    private static int[] RandomTokens(int count, int vocab)
    {
        var rng = new Random(count * 7919 + vocab);
        return [.. Enumerable.Range(0, count).Select(_ => rng.Next(vocab))];
    }
}
