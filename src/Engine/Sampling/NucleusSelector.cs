namespace MambaServe.Engine.Sampling;

/// <summary>
/// top_p's cut without sorting the whole vocab: the smallest most-likely prefix of the candidates whose probability
/// reaches top_p, in descending logit order (lower id first on ties). Candidates are bucketed by how far their logit
/// is below the row's maximum (a bucket order that agrees with the logit order), and only the buckets the prefix
/// reaches are sorted and walked, adding each token's probability in that order. A full sort of a 50k-id row was ~5
/// ms a token on the CPU; a trained model's nucleus usually lies in its first few buckets.
/// </summary>
internal sealed class NucleusSelector(int vocab)
{
    // Buckets of 1/32 of a logit over 32 logits below the maximum (a probability ratio of e^-32, ~1e-14); the rest
    // share the last bucket, reached only by a top_p that needs nearly all of the mass.
    private const int Buckets = 1024;
    private const float BucketsPerLogit = 32f;

    private readonly int[] _starts = new int[Buckets + 1];
    private readonly ushort[] _bucketOf = new ushort[vocab];
    private readonly int[] _byBucket = new int[vocab];
    private readonly ulong[] _keys = new ulong[vocab];

    /// <summary>
    /// Reorders <paramref name="candidates"/> so that it begins with the nucleus, most likely first, and returns the
    /// nucleus' length (at least one token). <paramref name="total"/>: sum(exp(logit - max)) over the candidates.
    /// </summary>
    public int Select(ReadOnlySpan<float> logits, Span<int> candidates, float max, double total, float topP)
    {
        Array.Clear(_starts);
        for (var c = 0; c < candidates.Length; c++)
        {
            var bucket = BucketOf(logits[candidates[c]], max);
            _bucketOf[c] = bucket;
            _starts[bucket + 1]++;
        }

        for (var b = 0; b < Buckets; b++)
        {
            _starts[b + 1] += _starts[b];
        }

        // Scatter (a counting sort by bucket); _starts[b] ends as the end of bucket b, the start of b + 1.
        for (var c = 0; c < candidates.Length; c++)
        {
            _byBucket[_starts[_bucketOf[c]]++] = candidates[c];
        }

        var kept = 0;
        var cumulative = 0.0;
        for (int b = 0, start = 0; b < Buckets && kept < candidates.Length; start = _starts[b++])
        {
            var members = _byBucket.AsSpan(start, _starts[b] - start);
            var keys = _keys.AsSpan(0, members.Length);
            for (var i = 0; i < members.Length; i++)
            {
                keys[i] = OrderKey(logits[members[i]], members[i]);
            }

            keys.Sort();
            foreach (var key in keys)
            {
                var id = (int)(uint)key;
                candidates[kept++] = id;
                cumulative += Math.Exp(logits[id] - max) / total;
                if (cumulative >= topP)
                {
                    return kept;
                }
            }
        }

        return kept;
    }

    private static ushort BucketOf(float logit, float max)
    {
        // -inf (a banned id) and anything 32 logits down land in the last bucket.
        var below = (max - logit) * BucketsPerLogit;
        return below < Buckets - 1 ? (ushort)below : (ushort)(Buckets - 1);
    }

    /// <summary>Ascending keys: descending logit, then ascending id.</summary>
    private static ulong OrderKey(float logit, int id)
    {
        // A float's bits mapped so that unsigned order is value order (negatives flipped, positives above them),
        // then inverted for descending order.
        var bits = BitConverter.SingleToUInt32Bits(logit);
        var ascending = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)~ascending << 32) | (uint)id;
    }
}
