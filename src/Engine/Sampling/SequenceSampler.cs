using System.Numerics.Tensors;
using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Sampling;

/// <summary>
/// Chooses the next tokens of one sequence, with vLLM's semantics: logit_bias, then repetition penalty (prompt and
/// output tokens), frequency and presence penalties (output tokens, OpenAI's formula), then greedy argmax when
/// temperature is 0, else temperature, top_k, top_p, min_p and a draw from a RNG seeded once per sequence (same seed,
/// same tokens; no state shared with other sequences). Scratch buffers are allocated once per sequence; a step
/// costs O(V) (its passes over the row in vectors) plus O(k log k) for top_k, and top_p sorts only the part of the
/// row its nucleus reaches (<see cref="NucleusSelector"/>). Not thread-safe: one per sequence.
/// </summary>
public sealed class SequenceSampler
{
    // vLLM treats temperatures below this as greedy: dividing by them would overflow.
    private const float GreedyTemperature = 1e-5f;

    private readonly SamplingParams _p;
    private readonly int _vocab;
    private readonly Random _rng;
    private readonly float[] _work;
    private readonly int[] _candidates;
    private readonly float[] _weights;
    private readonly bool[] _seen;          // in the prompt or the output: repetition penalty
    private readonly List<int> _seenIds = [];
    private readonly int[] _outputCounts;   // frequency and presence penalties
    private readonly List<int> _outputIds = [];
    private readonly PriorityQueue<int, (float, int)> _heap = new();
    private readonly NucleusSelector? _nucleus;  // top_p < 1 only: its scratch is ~14 bytes an id

    /// <param name="sampleableVocab">Ids at or above it are padding rows of the LM head: never sampled or reported.</param>
    public SequenceSampler(SamplingParams p, int sampleableVocab, IReadOnlyList<int> promptTokens, long seed)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleableVocab);
        _p = p;
        _vocab = sampleableVocab;
        _rng = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        _work = new float[sampleableVocab];
        _candidates = new int[sampleableVocab];
        _weights = new float[sampleableVocab];
        _seen = new bool[sampleableVocab];
        _outputCounts = new int[sampleableVocab];
        _nucleus = p.TopP < 1f ? new NucleusSelector(sampleableVocab) : null;
        foreach (var token in promptTokens)
        {
            MarkSeen(token);
        }
    }

    /// <summary>Samples from one logits row (at least sampleableVocab wide) and records the choice for penalties.</summary>
    public SampledToken Sample(ReadOnlySpan<float> logits) => Sample(logits, [], null);

    /// <summary>
    /// <see cref="Sample(ReadOnlySpan{float})"/> that never chooses one of <paramref name="banned"/> (min_tokens' stop
    /// tokens; ids outside the sampleable vocab are ignored). They get -inf after bias and penalties, as vLLM's
    /// min_tokens processor does; the reported logprobs are the raw logits', as for logit_bias, so a banned id keeps
    /// a finite logprob (and may be among the top alternatives).
    /// </summary>
    /// <param name="grammar">A structured output's bans for this token, applied the same way (null: none).</param>
    public SampledToken Sample(ReadOnlySpan<float> logits, IReadOnlyList<int> banned, TokenMask? grammar = null)
    {
        ArgumentNullException.ThrowIfNull(banned);
        if (logits.Length < _vocab)
        {
            throw new ArgumentException($"logits row has {logits.Length} entries, fewer than the vocab {_vocab}", nameof(logits));
        }
        var raw = logits[.._vocab];
        var work = _work.AsSpan();
        raw.CopyTo(work);
        ApplyBias(work);
        ApplyPenalties(work);
        for (var i = 0; i < banned.Count; i++)
        {
            if ((uint)banned[i] < (uint)_vocab)
            {
                work[banned[i]] = float.NegativeInfinity;
            }
        }

        foreach (int id in grammar ?? TokenMask.None)
        {
            if (id < _vocab)
            {
                work[id] = float.NegativeInfinity;
            }
        }

        var token = _p.Temperature < GreedyTemperature ? Argmax(work) : Draw(work);

        var logNorm = LogitMath.LogSumExp(raw);
        var top = _p.Logprobs is > 0 and var n ? LogitMath.TopN(raw, n, logNorm, _heap) : [];
        Record(token);
        return new SampledToken(token, raw[token] - logNorm, top);
    }

    /// <summary>Repetition, frequency and presence penalties in place, vLLM's order; O(distinct seen tokens).</summary>
    internal void ApplyPenalties(Span<float> logits)
    {
        var repetition = _p.RepetitionPenalty;
        if (repetition != 1f)
        {
            foreach (var id in _seenIds)
            {
                logits[id] = logits[id] > 0 ? logits[id] / repetition : logits[id] * repetition;
            }
        }
        if (_p.FrequencyPenalty != 0f || _p.PresencePenalty != 0f)
        {
            foreach (var id in _outputIds)
            {
                logits[id] -= _p.FrequencyPenalty * _outputCounts[id] + _p.PresencePenalty;
            }
        }
    }

    private void ApplyBias(Span<float> logits)
    {
        foreach (var (id, bias) in _p.LogitBias)
        {
            if ((uint)id < (uint)_vocab)
            {
                logits[id] += bias;
            }
        }
    }

    // Lowest id on ties, so greedy output is deterministic.
    private static int Argmax(ReadOnlySpan<float> x)
    {
        var best = 0;
        for (var i = 1; i < x.Length; i++)
        {
            if (x[i] > x[best])
            {
                best = i;
            }
        }
        return best;
    }

    private int Draw(Span<float> work)
    {
        TensorPrimitives.Multiply(work, 1f / _p.Temperature, work);
        var max = TensorPrimitives.Max(work);
        var count = Candidates(work);
        count = ApplyTopP(work, count, max);
        count = ApplyMinP(work, count, max);

        // Unnormalised weights (exp in vectors), summed in the order the draw below walks them.
        var weights = _weights.AsSpan(0, count);
        for (var c = 0; c < count; c++)
        {
            weights[c] = work[_candidates[c]];
        }
        TensorPrimitives.Subtract(weights, max, weights);
        TensorPrimitives.Exp(weights, weights);
        var total = 0.0;
        foreach (var weight in weights)
        {
            total += weight;
        }
        var u = _rng.NextDouble() * total;
        var last = count - 1;
        for (var c = 0; c < count; c++)
        {
            u -= weights[c];
            if (u < 0)
            {
                return _candidates[c];
            }
            if (weights[c] > 0)
            {
                last = c;
            }
        }
        // Rounding left u at ~0: the last candidate with a share (a banned id, weight 0, may come after it).
        return _candidates[last];
    }

    /// <summary>Fills <see cref="_candidates"/> with all ids, or the top_k largest (by heap, not a full sort).</summary>
    private int Candidates(ReadOnlySpan<float> work)
    {
        var k = _p.TopK;
        if (k <= 0 || k >= _vocab)
        {
            for (var i = 0; i < _vocab; i++)
            {
                _candidates[i] = i;
            }
            return _vocab;
        }
        var top = LogitMath.TopN(work, k, 0f, _heap);
        for (var c = 0; c < top.Length; c++)
        {
            _candidates[c] = top[c].TokenId;
        }
        return top.Length;
    }

    /// <summary>Keeps the smallest most-likely prefix whose probability reaches top_p (at least one token).</summary>
    private int ApplyTopP(ReadOnlySpan<float> work, int count, float max)
    {
        if (_p.TopP >= 1f)
        {
            return count;
        }
        double total;
        if (count == _vocab)
        {
            // No top_k: the candidates are every id in order, so the sum runs over the row in vectors.
            total = LogitMath.SumExp(work, max);
        }
        else
        {
            total = 0.0;
            for (var c = 0; c < count; c++)
            {
                total += Math.Exp(work[_candidates[c]] - max);
            }
        }
        return _nucleus!.Select(work, _candidates.AsSpan(0, count), max, total, _p.TopP);
    }

    /// <summary>Drops tokens whose probability is below min_p times the top token's (a ratio, so truncation-proof).</summary>
    private int ApplyMinP(ReadOnlySpan<float> work, int count, float max)
    {
        if (_p.MinP <= 0f)
        {
            return count;
        }
        var threshold = max + MathF.Log(_p.MinP);
        var kept = 0;
        for (var c = 0; c < count; c++)
        {
            if (work[_candidates[c]] >= threshold)
            {
                _candidates[kept++] = _candidates[c];
            }
        }
        return kept;
    }

    private void Record(int token)
    {
        MarkSeen(token);
        if (_outputCounts[token]++ == 0)
        {
            _outputIds.Add(token);
        }
    }

    private void MarkSeen(int token)
    {
        if ((uint)token < (uint)_vocab && !_seen[token])
        {
            _seen[token] = true;
            _seenIds.Add(token);
        }
    }
}
