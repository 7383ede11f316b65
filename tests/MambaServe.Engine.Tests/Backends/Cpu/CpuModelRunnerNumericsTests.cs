using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Backends.Cpu;

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
        var logits = new float[c.Tokens.Length * runner.LogitsWidth];
        runner.Prefill(0, c.Tokens, logits, allLogits: true);
        AssertMatchesReference(c, logits, runner.LogitsWidth, firstRow: 0, rows: c.Tokens.Length);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PrefillPromptThenDecode_OneTokenAtATime_MatchesReference(string model, int caseIndex)
    {
        var c = ReferenceSet.Cases(model)[caseIndex];
        using var runner = LoadedRunners.Create(ReferenceSet.ModelDir(model));
        var width = runner.LogitsWidth;
        var promptLogits = new float[c.PromptLength * width];
        runner.Prefill(1, c.Tokens.AsSpan(0, c.PromptLength), promptLogits, allLogits: true);
        AssertMatchesReference(c, promptLogits, width, firstRow: 0, rows: c.PromptLength);

        var step = new float[width];
        for (var t = c.PromptLength; t < c.Tokens.Length; t++)
        {
            runner.Decode([1], [c.Tokens[t]], step);
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
            var logits = new float[length * width];
            runner.Prefill(2, c.Tokens.AsSpan(start, length), logits, allLogits: true);
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

    [Theory]
    [MemberData(nameof(Cases))]
    public void GreedyDecode_FromPrompt_ReproducesReferenceContinuation(string model, int caseIndex)
    {
        var c = ReferenceSet.Cases(model)[caseIndex];
        using var runner = LoadedRunners.Create(ReferenceSet.ModelDir(model));
        var config = runner.Config;
        var width = runner.LogitsWidth;
        var logits = new float[width];
        runner.Prefill(0, c.Tokens.AsSpan(0, c.PromptLength), logits, allLogits: false);

        var generated = new List<int>();
        while (c.PromptLength + generated.Count < c.Tokens.Length)
        {
            var next = ArgMax(logits.AsSpan(0, config.UnpaddedVocabSize));
            generated.Add(next);
            if (next == config.EosTokenId) break;
            runner.Decode([0], [next], logits);
        }
        Assert.Equal(c.Tokens[c.PromptLength..], generated);
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    private static void AssertMatchesReference(ReferenceCase c, ReadOnlySpan<float> logits, int width, int firstRow, int rows)
    {
        var compared = Math.Min(width, c.Vocab);
        for (var r = 0; r < rows; r++)
        {
            var expected = c.Logits.AsSpan((firstRow + r) * c.Vocab, compared);
            var actual = logits.Slice(r * width, compared);
            var worst = 0f;
            var at = 0;
            for (var v = 0; v < compared; v++)
            {
                var err = MathF.Abs(expected[v] - actual[v]);
                if (!(err <= worst)) { worst = err; at = v; }
            }
            Assert.True(worst <= Tolerance,
                $"{c}: position {firstRow + r}, token {at}: |{actual[at]} - {expected[at]}| = {worst} > {Tolerance}");
        }
    }
}
