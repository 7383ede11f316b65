namespace MambaServe.Engine.Tests.Sampling;

/// <summary>Random logits and exact reference math (double) for the sampling tests.</summary>
internal static class SamplerTestData
{
    public static Random NewRandom() => new(Environment.TickCount);

    public static float[] RandomLogits(Random random, int count, float scale = 3f)
    {
        var logits = new float[count];
        for (var i = 0; i < count; i++)
        {
            logits[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }
        return logits;
    }

    public static double[] LogSoftmax(ReadOnlySpan<float> x)
    {
        var max = double.NegativeInfinity;
        foreach (var v in x)
        {
            max = Math.Max(max, v);
        }
        var sum = 0.0;
        foreach (var v in x)
        {
            sum += Math.Exp(v - max);
        }
        var result = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            result[i] = x[i] - max - Math.Log(sum);
        }
        return result;
    }

    /// <summary>Logits whose softmax is exactly <paramref name="probs"/> (up to float rounding), shifted by a random offset.</summary>
    public static float[] LogitsForProbs(Random random, params double[] probs)
    {
        var offset = random.NextDouble() * 4 - 2;
        return probs.Select(p => (float)(Math.Log(p) + offset)).ToArray();
    }

    public static int[] Histogram(Func<int> draw, int vocab, int draws)
    {
        var counts = new int[vocab];
        for (var i = 0; i < draws; i++)
        {
            counts[draw()]++;
        }
        return counts;
    }
}
