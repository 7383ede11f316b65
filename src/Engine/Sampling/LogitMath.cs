namespace MambaServe.Engine.Sampling;

/// <summary>Log-softmax pieces shared by <see cref="SequenceSampler"/> and <see cref="PromptLogprobs"/>.</summary>
internal static class LogitMath
{
    /// <summary>log(sum(exp(x))), accumulated in double so a 50k vocab keeps float precision.</summary>
    public static float LogSumExp(ReadOnlySpan<float> x)
    {
        var max = float.NegativeInfinity;
        foreach (var v in x)
        {
            max = Math.Max(max, v);
        }
        if (float.IsNegativeInfinity(max))
        {
            return max;
        }
        var sum = 0.0;
        foreach (var v in x)
        {
            sum += Math.Exp(v - max);
        }
        return (float)(max + Math.Log(sum));
    }

    /// <summary>
    /// The rank of <paramref name="id"/> in <paramref name="x"/> (1: largest): 1 + the entries larger than it, plus the
    /// equal ones with a lower id, the order <see cref="TopN"/> lists them in. One pass over the row.
    /// </summary>
    public static int Rank(ReadOnlySpan<float> x, int id)
    {
        var value = x[id];
        var ahead = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var v = x[i];
            if (v > value || (v == value && i < id))
            {
                ahead++;
            }
        }
        return ahead + 1;
    }

    /// <summary>
    /// The <paramref name="n"/> largest entries of <paramref name="x"/> as (id, x - <paramref name="logNorm"/>),
    /// largest first, lowest id first on ties. A size-n min-heap: O(V log n), no sort of the whole vocab.
    /// </summary>
    public static (int TokenId, float Logprob)[] TopN(ReadOnlySpan<float> x, int n, float logNorm, PriorityQueue<int, (float, int)> heap)
    {
        n = Math.Min(n, x.Length);
        if (n <= 0)
        {
            return [];
        }
        heap.Clear();
        for (var i = 0; i < x.Length; i++)
        {
            // Priority (value, -id): the heap's minimum is the worst kept entry (smallest value, then highest id).
            var priority = (x[i], -i);
            if (heap.Count < n)
            {
                heap.Enqueue(i, priority);
            }
            else if (heap.TryPeek(out _, out var worst) && priority.CompareTo(worst) > 0)
            {
                heap.EnqueueDequeue(i, priority);
            }
        }
        var result = new (int, float)[heap.Count];
        for (var k = result.Length - 1; k >= 0; k--)
        {
            var id = heap.Dequeue();
            result[k] = (id, x[id] - logNorm);
        }
        return result;
    }
}
