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
        var (worst, at, relative) = RowDifference.Of(expected, actual);

        if (Absolute > 0)
        {
            Assert.True(worst <= Absolute, $"{c} {path}: position {position}, token {at}: |{actual[at]} - {expected[at]}| = {worst:G4} > {Absolute}");
        }

        if (RelativeL2 > 0)
        {
            Assert.True(relative <= RelativeL2, $"{c} {path}: position {position}: relative L2 error {relative:G4} > {RelativeL2}");
        }
    }
}
