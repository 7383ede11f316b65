using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Tests.Sampling;

/// <summary>
/// The bucketed top_p cut against the definition: sort every candidate by descending logit (lower id first on ties),
/// add probabilities in that order, stop at the first prefix that reaches top_p.
/// </summary>
public sealed class NucleusSelectorTests
{
    public static TheoryData<string, float> Rows => new()
    {
        { "flat", 0.9f },
        { "peaked", 0.9f },
        { "peaked", 0.3f },
        { "ties", 0.7f },
        { "spread past the buckets", 0.999999f },
        { "banned ids", 0.95f },
        { "one dominant id", 0.5f },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Select_EveryCandidate_EqualsTheFullSortsPrefix(string shape, float topP)
    {
        var random = new Random(shape.GetHashCode(StringComparison.Ordinal) ^ (int)(topP * 1e6));
        var logits = Row(shape, random, 3000);
        var candidates = Enumerable.Range(0, logits.Length).ToArray();

        AssertMatchesFullSort(logits, candidates, topP);
    }

    [Fact]
    public void Select_TopKSubsetInHeapOrder_EqualsTheFullSortsPrefixOfThatSubset()
    {
        var random = new Random(5);
        var logits = Row("peaked", random, 500);
        var candidates = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).Take(40).Reverse().ToArray();

        AssertMatchesFullSort(logits, candidates, 0.8f);
    }

    private static void AssertMatchesFullSort(float[] logits, int[] candidates, float topP)
    {
        var max = logits.Max();
        var total = candidates.Sum(i => Math.Exp(logits[i] - max));
        var sorted = candidates.OrderByDescending(i => logits[i]).ThenBy(i => i).ToArray();
        var expected = 0;
        for (var cumulative = 0.0; expected < sorted.Length && cumulative < topP; expected++)
        {
            cumulative += Math.Exp(logits[sorted[expected]] - max) / total;
        }

        var actual = candidates.ToArray();
        var kept = new NucleusSelector(logits.Length).Select(logits, actual, max, total, topP);

        Assert.Equal(expected, kept);
        Assert.Equal(sorted[..expected], actual[..kept]);
    }

    private static float[] Row(string shape, Random random, int vocab)
    {
        var row = new float[vocab];
        for (var i = 0; i < vocab; i++)
        {
            row[i] = shape switch
            {
                "flat" => random.NextSingle(),
                "ties" => random.Next(6) * 0.5f,
                "spread past the buckets" => -120f * random.NextSingle(),
                _ => (float)(4 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())),
            };
        }

        if (shape == "banned ids")
        {
            foreach (var id in Enumerable.Range(0, vocab).Where(i => i % 7 == 0))
            {
                row[id] = float.NegativeInfinity;
            }
        }

        if (shape == "one dominant id")
        {
            row[random.Next(vocab)] = 40f;
        }

        return row;
    }
}
