namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>
/// The sampler rules of model/sampler_ref.h computed the slow, obvious way (sorting, float64 sums), with its own
/// per-slot seen set and output counts: what msv_model_step must draw.
/// </summary>
internal sealed class BruteForceSampler(int sampleableVocab)
{
    private readonly Dictionary<int, HashSet<int>> _seen = [];
    private readonly Dictionary<int, Dictionary<int, int>> _counts = [];

    /// <summary>mambaserve.h's MSV_BAN_BIAS.</summary>
    public const float BanBias = -1e9f;

    public int Vocab { get; } = sampleableVocab;

    public void Reset(int slot, IEnumerable<int> promptIds)
    {
        _seen[slot] = [.. promptIds.Where(id => id < Vocab)];
        _counts[slot] = [];
    }

    /// <summary>Draws like the native sampler and records the token for the slot.</summary>
    public int Draw(int slot, float[] raw, SamplingSpec p, int position)
    {
        var w = Process(slot, raw, p);
        int token;
        if (p.Temperature < 1e-5f)
        {
            token = ArgMax(w);
        }
        else
        {
            var s = Scaled(w, p.Temperature);
            var survivors = Survivors(s, p);
            token = survivors.OrderByDescending(i => s[i] + Philox.Gumbel(p.Seed, position, i)).ThenBy(i => i).First();
        }
        _seen[slot].Add(token);
        _counts[slot][token] = _counts[slot].GetValueOrDefault(token) + 1;
        return token;
    }

    /// <summary>Bias, then the bans (-1e9), then repetition over the seen set, then frequency / presence over the output counts.</summary>
    public float[] Process(int slot, float[] raw, SamplingSpec p)
    {
        var w = raw[..Vocab];
        for (var i = 0; i < p.BiasIds.Length; i++)
            if (p.BiasIds[i] < Vocab) w[p.BiasIds[i]] += p.BiasValues[i];
        foreach (var id in (IEnumerable<int>?)p.Bans ?? [])
            if (id < Vocab) w[id] += BanBias;
        foreach (var id in _seen[slot])
            w[id] = w[id] > 0 ? w[id] / p.RepetitionPenalty : w[id] * p.RepetitionPenalty;
        foreach (var (id, count) in _counts[slot])
            w[id] -= p.FrequencyPenalty * count + p.PresencePenalty;
        return w;
    }

    public static float[] Scaled(float[] w, float temperature)
    {
        var inverse = 1f / temperature;
        return [.. w.Select(v => v * inverse)];
    }

    /// <summary>Ids whose scaled logit passes top_k (ties kept), top_p (smallest top set reaching top_p of the top-k
    /// mass, ties kept) and min_p.</summary>
    public static HashSet<int> Survivors(float[] s, SamplingSpec p)
    {
        var order = Enumerable.Range(0, s.Length).OrderByDescending(i => s[i]).ToArray();
        var max = s[order[0]];
        var tau = float.NegativeInfinity;
        if (p.TopK > 0 && p.TopK < s.Length) tau = s[order[p.TopK - 1]];
        if (p.TopP < 1f)
        {
            var kept = order.Where(i => s[i] >= tau).ToArray();
            var total = kept.Sum(i => Math.Exp(s[i] - max));
            var cumulative = 0.0;
            foreach (var i in kept)
            {
                cumulative += Math.Exp(s[i] - max);
                if (cumulative >= p.TopP * total) { tau = s[i]; break; }
            }
        }
        if (p.MinP > 0f) tau = Math.Max(tau, max + (float)Math.Log(p.MinP));
        return [.. Enumerable.Range(0, s.Length).Where(i => s[i] >= tau)];
    }

    public static int ArgMax(float[] w)
    {
        var best = 0;
        for (var i = 1; i < w.Length; i++)
            if (w[i] > w[best]) best = i;
        return best;
    }
}
