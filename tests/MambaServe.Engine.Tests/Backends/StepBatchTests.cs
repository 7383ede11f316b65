using MambaServe.Engine.Backends;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Tests.Backends;

public sealed class StepBatchTests
{
    private static readonly SequenceSampling Sampling = new(new SamplingParams(), 1, [1]);

    [Fact]
    public void AddToken_ManyDecodes_EachKeepsItsToken()
    {
        var batch = new StepBatch();
        var tokens = Enumerable.Range(0, 300).Select(_ => Random.Shared.Next(1000)).ToArray();

        for (int i = 0; i < tokens.Length; i++)
        {
            batch.AddToken(i, tokens[i]);
        }

        Assert.Equal(tokens, batch.Entries.Select(e => e.Tokens.Span[0]));
        Assert.Equal(300, batch.TokenCount);
    }

    [Fact]
    public void RemoveAt_DropsTheEntryAndItsTargets()
    {
        var batch = new StepBatch();
        batch.AddChunk(0, new[] { 1, 2, 3 }).AddSample(0, Sampling);
        batch.AddChunk(1, new[] { 4, 5 }).AddSample(2, Sampling);
        batch.AddToken(3, 6);

        batch.RemoveAt(1);

        Assert.Equal([0, 3], batch.Entries.Select(e => e.Slot));
        Assert.Equal(4, batch.TokenCount);
    }

    [Fact]
    public void Clear_ThenRebuilt_ReusesEntriesWithFreshState()
    {
        var batch = new StepBatch();
        var first = batch.AddChunk(0, new[] { 1, 2 }, allLogits: true);
        first.AddSample(0, Sampling).SetChosen(new ChosenToken(7, -1f, []));
        first.SetLogits(new float[4]);

        batch.Clear();
        var second = batch.AddToken(5, 9);

        Assert.Same(first, second);
        Assert.Equal((5, 1, false, 0, 0), (second.Slot, second.Tokens.Length, second.AllLogits, second.Samples.Count, second.Logits.Length));
        Assert.Null(second.AddSample(5, Sampling).Chosen);
    }
}
