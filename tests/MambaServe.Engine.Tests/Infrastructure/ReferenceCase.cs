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
            var worst = 0f;
            var at = 0;
            for (var v = 0; v < compared; v++)
            {
                var err = MathF.Abs(expected[v] - actual[v]);
                if (!(err <= worst)) { worst = err; at = v; }
            }
            Assert.True(worst <= tolerance,
                $"{this}: position {firstRow + r}, token {at}: |{actual[at]} - {expected[at]}| = {worst} > {tolerance}");
        }
    }
}
