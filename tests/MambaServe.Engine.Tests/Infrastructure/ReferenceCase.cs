namespace MambaServe.Engine.Tests.Infrastructure;

/// <summary>
/// One case of the HF transformers float64 reference: the prompt followed by its greedy continuation, and the logits
/// at every position ([Tokens.Length, Vocab], row t predicts token t + 1).
/// </summary>
public sealed record ReferenceCase(string Model, int Index, int PromptLength, int[] Tokens, float[] Logits, int Vocab)
{
    public override string ToString() => $"{Model}#{Index} (prompt {PromptLength}, total {Tokens.Length})";

    /// <summary>
    /// Rows of <paramref name="logits"/> (<paramref name="width"/> wide) are this case's rows from
    /// <paramref name="firstRow"/> on, within <paramref name="tolerance"/> at every id (padding ids beyond the case's
    /// vocabulary are not compared).
    /// </summary>
    public void AssertRowsWithin(ReadOnlySpan<float> logits, int width, int firstRow, int rows, float tolerance)
    {
        var compared = Math.Min(width, Vocab);
        for (var r = 0; r < rows; r++)
        {
            var expected = Logits.AsSpan((firstRow + r) * Vocab, compared);
            var actual = logits.Slice(r * width, compared);
            var d = RowDifference.Of(expected, actual);
            Assert.True(d.Worst <= tolerance,
                $"{this}: position {firstRow + r}, token {d.At}: |{actual[d.At]} - {expected[d.At]}| = {d.Worst} > {tolerance}");
        }
    }
}

/// <summary>
/// How far a logits row is from an expected one: the largest difference at one id (<see cref="At"/>; a NaN counts as
/// the largest) and ||actual - expected|| / ||expected||.
/// </summary>
public readonly record struct RowDifference(double Worst, int At, double RelativeL2)
{
    public static RowDifference Of(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        double worst = 0, diff2 = 0, norm2 = 0;
        int at = 0;
        for (int v = 0; v < expected.Length; v++)
        {
            double err = Math.Abs((double)expected[v] - actual[v]);
            if (!(err <= worst))
            {
                worst = err;
                at = v;
            }

            diff2 += err * err;
            norm2 += (double)expected[v] * expected[v];
        }

        return new RowDifference(worst, at, Math.Sqrt(diff2 / Math.Max(norm2, 1e-30)));
    }
}
