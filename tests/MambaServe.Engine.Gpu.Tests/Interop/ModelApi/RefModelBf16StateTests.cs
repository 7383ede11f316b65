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
    private static readonly LogitsTolerance Bf16 = LogitsTolerance.Relative(3e-2f);

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
            for (var r = 0; r < length; r++) Bf16.AssertRow(c, position + r, logits.AsSpan(r * width, width), "bf16 state");
            position += length;
            if (position == c.PromptLength)
            {
                using var snapshot = m.Snapshot(slot);
                slot = 3;
                m.Restore(slot, snapshot);
            }
        }
    }
}
