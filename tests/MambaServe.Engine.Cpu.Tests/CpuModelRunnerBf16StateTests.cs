using MambaServe.Engine.Cpu.Tests.Infrastructure;
using MambaServe.Engine.Cpu;
using MambaServe.Engine.State;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Cpu.Tests;

/// <summary>
/// The SSM state stored in bf16 (half the memory per sequence): logits stay within the bf16 tolerance of
/// tests/fixtures/README.md (relative L2 error per position at most 3e-2) through chunked prefill and decode, and
/// snapshots round-trip.
/// </summary>
public class CpuModelRunnerBf16StateTests
{
    [Theory]
    [InlineData("tiny-b")]
    [InlineData("demo")]
    public void PrefillChunksThenDecode_Bf16State_WithinBf16Tolerance(string model)
    {
        var c = ReferenceSet.Cases(model).MaxBy(r => r.Tokens.Length)!;
        using var runner = LoadedRunners.Create(ReferenceSet.ModelDir(model), slots: 3, ssmStateDType: StateDType.BFloat16);
        var width = runner.LogitsWidth;
        var compared = Math.Min(width, c.Vocab);
        var position = 0;
        while (position < c.Tokens.Length)
        {
            var length = position < c.PromptLength ? Math.Min(7, c.PromptLength - position) : 1;
            var logits = length > 1 || position < c.PromptLength
                ? runner.Prefill(2, c.Tokens[position..(position + length)])
                : runner.Decode([2], [c.Tokens[position]]);
            for (var r = 0; r < length; r++)
            {
                var expected = c.Logits.AsSpan((position + r) * c.Vocab, compared);
                var actual = logits.AsSpan(r * width, compared);
                double err = 0, norm = 0;
                for (var v = 0; v < compared; v++)
                {
                    err += (actual[v] - expected[v]) * (double)(actual[v] - expected[v]);
                    norm += expected[v] * (double)expected[v];
                }
                var relative = Math.Sqrt(err / norm);
                Assert.True(relative <= 3e-2, $"{c}: position {position + r}: relative L2 error {relative}");
            }
            position += length;
        }
    }

    [Fact]
    public void SnapshotRestore_Bf16State_RoundTripsExactly()
    {
        using var runner = LoadedRunners.Create(ReferenceSet.ModelDir("tiny-b"), slots: 2, ssmStateDType: StateDType.BFloat16);
        runner.Prefill(0, [5, 9, 11, 300, 42]);
        var snapshot = (CpuStateSnapshot)runner.Snapshot(0);
        runner.Restore(1, snapshot);
        var again = (CpuStateSnapshot)runner.Snapshot(1);
        Assert.Equal(snapshot.Ssm, again.Ssm);
        Assert.Equal(snapshot.Conv, again.Conv);
        Assert.Contains(snapshot.Ssm, v => v != 0f);
    }
}
