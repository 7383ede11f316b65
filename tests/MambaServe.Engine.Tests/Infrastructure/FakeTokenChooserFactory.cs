using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Tests.Infrastructure;

/// <summary>
/// Choosers simple enough to predict: temperature 0 takes the argmax; otherwise a <see cref="Random"/> seeded with the
/// sample's seed picks uniformly (so seeds are observable), both skipping a target's banned ids. Logprobs are exact log-softmax values, and prompt scores
/// too (it is the engine's prompt scorer in the tests).
/// </summary>
internal sealed class FakeTokenChooserFactory : ITokenChooserFactory, IPromptScorer
{
    /// <summary>A chooser created with this seed throws on its first choice.</summary>
    public long? FailingSeed { get; set; }

    public List<long> SeedsCreated { get; } = [];

    public ITokenChooser Create(SequenceSampling sampling)
    {
        SeedsCreated.Add(sampling.Seed);
        var random = sampling.Parameters.Temperature == 0 ? null : new Random(unchecked((int)sampling.Seed));
        return new Chooser(random, sampling.Seed == FailingSeed);
    }

    public TokenLogprob Score(ReadOnlySpan<float> logitsRow, int tokenId, int topN)
    {
        var all = new (int TokenId, float Logprob)[logitsRow.Length];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = (i, LogSoftmax(logitsRow, i));
        }

        var top = all
            .OrderByDescending(t => t.Logprob)
            .Take(topN)
            .ToArray();
        return new TokenLogprob(tokenId, LogSoftmax(logitsRow, tokenId), top);
    }

    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best])
            {
                best = i;
            }
        }

        return best;
    }

    public static float LogSoftmax(ReadOnlySpan<float> row, int index)
    {
        float max = row[ArgMax(row)];
        double sum = 0;
        foreach (float v in row)
        {
            sum += Math.Exp(v - max);
        }

        return (float)(row[index] - max - Math.Log(sum));
    }

    private sealed class Chooser(Random? random, bool fail) : ITokenChooser
    {
        public ChosenToken Choose(ReadOnlySpan<float> logits, IReadOnlyList<int> stopBans, TokenMask grammar)
        {
            var banned = stopBans.Concat(grammar).ToHashSet();
            if (fail)
            {
                throw new InvalidOperationException("Injected sampler failure.");
            }

            int token;
            do
            {
                token = random is null ? ArgMax(Without(logits, banned)) : random.Next(logits.Length);
            }
            while (banned.Contains(token) && banned.Count < logits.Length);

            return new ChosenToken(token, LogSoftmax(logits, token), []);
        }

        private static float[] Without(ReadOnlySpan<float> logits, HashSet<int> banned)
        {
            var row = logits.ToArray();
            foreach (int id in banned)
            {
                if ((uint)id < (uint)row.Length)
                {
                    row[id] = float.NegativeInfinity;
                }
            }

            return row;
        }
    }
}
