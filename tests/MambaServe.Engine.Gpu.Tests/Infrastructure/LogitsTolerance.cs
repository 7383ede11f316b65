using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Gpu.Tests.Infrastructure;

/// <summary>
/// How close a logits row must be to the float64 reference: within <see cref="Absolute"/> at every id (fp32 modes),
/// or within <see cref="RelativeL2"/> as ||actual - expected|| / ||expected|| per position (bf16 weights, whose
/// rounding moves every logit a little). Zero turns a test off.
/// </summary>
public sealed record LogitsTolerance(float Absolute, float RelativeL2)
{
    public static LogitsTolerance Abs(float tolerance) => new(tolerance, 0);

    public static LogitsTolerance Relative(float tolerance) => new(0, tolerance);

    /// <summary>Row <paramref name="position"/> of the case against <paramref name="actual"/> (a row of a runner's logits).</summary>
    public void AssertRow(ReferenceCase c, int position, ReadOnlySpan<float> actual, string path)
    {
        int compared = Math.Min(actual.Length, c.Vocab);
        var expected = c.Logits.AsSpan(position * c.Vocab, compared);
        double worst = 0, diff2 = 0, norm2 = 0;
        int at = 0;
        for (int v = 0; v < compared; v++)
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

        if (Absolute > 0)
        {
            Assert.True(worst <= Absolute, $"{c} {path}: position {position}, token {at}: |{actual[at]} - {expected[at]}| = {worst:G4} > {Absolute}");
        }

        if (RelativeL2 > 0)
        {
            double relative = Math.Sqrt(diff2 / Math.Max(norm2, 1e-30));
            Assert.True(relative <= RelativeL2, $"{c} {path}: position {position}: relative L2 error {relative:G4} > {RelativeL2}");
        }
    }
}
