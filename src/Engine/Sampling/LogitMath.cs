using System.Numerics.Tensors;

namespace MambaServe.Engine.Sampling;

/// <summary>Log-softmax pieces shared by <see cref="SequenceSampler"/> and <see cref="PromptLogprobs"/>.</summary>
internal static class LogitMath
{
    // Doubles a chunk of SumExp works on: 8 KiB of stack, in L1 between its passes.
    private const int SumExpChunk = 1024;

    /// <summary>log(sum(exp(x))), accumulated in double so a 50k vocab keeps float precision.</summary>
    public static float LogSumExp(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
        {
            return float.NegativeInfinity;
        }
        var max = TensorPrimitives.Max(x);
        if (float.IsNegativeInfinity(max))
        {
            return max;
        }
        return (float)(max + Math.Log(SumExp(x, max)));
    }

    /// <summary>
    /// sum(exp(x - shift)) in double: each entry widened (exactly), shifted, exponentiated and summed in vectors
    /// (TensorPrimitives), chunk by chunk. A row of the vocab is a sampler's hottest loop on the CPU: one exp per id
    /// and token, which scalar Math.Exp made ~0.9 ms a token at 50k ids.
    /// </summary>
    public static double SumExp(ReadOnlySpan<float> x, float shift)
    {
        Span<double> chunk = stackalloc double[SumExpChunk];
        var sum = 0.0;
        for (var start = 0; start < x.Length; start += SumExpChunk)
        {
            var part = x.Slice(start, Math.Min(SumExpChunk, x.Length - start));
            var wide = chunk[..part.Length];
            TensorPrimitives.ConvertChecked(part, wide);
            TensorPrimitives.Subtract(wide, shift, wide);
            TensorPrimitives.Exp(wide, wide);
            sum += TensorPrimitives.Sum<double>(wide);
        }
        return sum;
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
