using MambaServe.Engine.Gpu.Tests.Infrastructure;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>
/// The reference model with a bf16 SSM state (rounded at the end of every chunk and after every decode token):
/// logits within the bf16 tolerance of tests/fixtures/README.md (relative L2 error per position at most 3e-2),
/// and the state moved through a snapshot continues identically.
/// </summary>
public sealed class RefModelBf16StateTests
{
    [Theory]
    [InlineData("tiny-b")]
    [InlineData("demo")]
    public void Step_Bf16StateChunksThenDecodeAndRestore_WithinBf16Tolerance(string model)
    {
        var c = ReferenceSet.Cases(model).MaxBy(r => r.Tokens.Length)!;
        using var m = RefModel.FromCheckpoint(Checkpoints.Load(ReferenceSet.ModelDir(model)), 4, MsvDtype.BF16);
        var width = m.Config.Vocab;
        var slot = 1;
        var position = 0;
        while (position < c.Tokens.Length)
        {
            var length = position < c.PromptLength ? Math.Min(7, c.PromptLength - position) : 1;
            var logits = m.Logits(slot, c.Tokens[position..(position + length)]);
            for (var r = 0; r < length; r++) AssertWithinBf16Tolerance(c, logits.AsSpan(r * width, width), position + r);
            position += length;
            if (position == c.PromptLength)
            {
                using var snapshot = m.Snapshot(slot);
                slot = 3;
                m.Restore(slot, snapshot);
            }
        }
    }

    private static void AssertWithinBf16Tolerance(ReferenceCase c, ReadOnlySpan<float> actual, int position)
    {
        var compared = Math.Min(actual.Length, c.Vocab);
        var expected = c.Logits.AsSpan(position * c.Vocab, compared);
        double err = 0, norm = 0;
        for (var v = 0; v < compared; v++)
        {
            err += (actual[v] - expected[v]) * (double)(actual[v] - expected[v]);
            norm += expected[v] * (double)expected[v];
        }
        var relative = Math.Sqrt(err / norm);
        Assert.True(relative <= 3e-2, $"{c}: position {position}: relative L2 error {relative}");
    }
}
