using MambaServe.Engine.Cpu.Tests.Infrastructure;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Cpu.Tests;

/// <summary>
/// Teacher-forced logits against the float64 HF transformers reference (max abs error 1e-3, the tolerance of
/// tests/fixtures/README.md), reached three ways, and greedy decoding reproducing the reference continuation.
/// </summary>
public class CpuModelRunnerNumericsTests
{
    private const float Tolerance = 1e-3f;

    public static TheoryData<string, int> Cases => ReferenceSet.AllCases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Prefill_WholeSequence_MatchesReferenceAtEveryPosition(string model, int caseIndex)
    {
        var c = ReferenceSet.Cases(model)[caseIndex];
        using var runner = LoadedRunners.Create(ReferenceSet.ModelDir(model));
        var logits = runner.Prefill(0, c.Tokens);
        AssertMatchesReference(c, logits, runner.LogitsWidth, firstRow: 0, rows: c.Tokens.Length);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PrefillPromptThenDecode_OneTokenAtATime_MatchesReference(string model, int caseIndex)
    {
        var c = ReferenceSet.Cases(model)[caseIndex];
        using var runner = LoadedRunners.Create(ReferenceSet.ModelDir(model));
        var width = runner.LogitsWidth;
        var promptLogits = runner.Prefill(1, c.Tokens[..c.PromptLength]);
        AssertMatchesReference(c, promptLogits, width, firstRow: 0, rows: c.PromptLength);

        for (var t = c.PromptLength; t < c.Tokens.Length; t++)
        {
            var step = runner.Decode([1], [c.Tokens[t]]);
            AssertMatchesReference(c, step, width, firstRow: t, rows: 1);
        }
    }

    [Theory]
    [MemberData(nameof(ChunkedCases))]
    public void Prefill_InChunks_MatchesReference(string model, int caseIndex, int chunk)
    {
        var c = ReferenceSet.Cases(model)[caseIndex];
        using var runner = LoadedRunners.Create(ReferenceSet.ModelDir(model));
        var width = runner.LogitsWidth;
        for (var start = 0; start < c.Tokens.Length; start += chunk)
        {
            var length = Math.Min(chunk, c.Tokens.Length - start);
            var logits = runner.Prefill(2, c.Tokens[start..(start + length)]);
            AssertMatchesReference(c, logits, width, firstRow: start, rows: length);
        }
    }

    public static TheoryData<string, int, int> ChunkedCases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var (model, caseIndex) in ReferenceSet.AllCaseKeys())
            foreach (var chunk in new[] { 1, 7, 64 })
                data.Add(model, caseIndex, chunk);
        return data;
    }

    // Greedy decoding from the reference prompts is a case of the runner conformance suite (CpuRunnerConformanceTests).

    private static void AssertMatchesReference(ReferenceCase c, ReadOnlySpan<float> logits, int width, int firstRow, int rows) =>
        c.AssertRowsWithin(logits, width, firstRow, rows, Tolerance);
}
