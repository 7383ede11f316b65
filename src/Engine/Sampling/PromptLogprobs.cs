using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Sampling;

/// <summary>The logprobs of a prompt's own tokens (OpenAI echo + logprobs, vLLM prompt_logprobs), for scoring.</summary>
public static class PromptLogprobs
{
    /// <param name="logits">[tokens.Count, width] row-major (at least the first tokens.Count - 1 rows); row t predicts tokens[t + 1].</param>
    /// <param name="topN">Alternatives to list per position (0: none).</param>
    /// <param name="sampleableVocab">Ids at or above it are padding rows: excluded from the softmax.</param>
    /// <returns>One entry per token; the first has Logprob null (no context) and no alternatives.</returns>
    public static IReadOnlyList<TokenLogprob> Compute(ReadOnlySpan<float> logits, int width, IReadOnlyList<int> tokens, int topN, int sampleableVocab)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleableVocab);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, sampleableVocab);
        ArgumentOutOfRangeException.ThrowIfNegative(topN);
        if (tokens.Count == 0)
        {
            return [];
        }
        if (logits.Length < (long)(tokens.Count - 1) * width)
        {
            throw new ArgumentException($"logits hold {logits.Length} values, fewer than {tokens.Count - 1} rows of {width}", nameof(logits));
        }

        var result = new TokenLogprob[tokens.Count];
        result[0] = new TokenLogprob(tokens[0], null, []);
        var heap = new PriorityQueue<int, (float, int)>();
        for (var t = 1; t < tokens.Count; t++)
        {
            var row = logits.Slice((t - 1) * width, sampleableVocab);
            var token = tokens[t];
            if ((uint)token >= (uint)sampleableVocab)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), token, $"prompt token {t} is outside the sampleable vocab");
            }
            var logNorm = LogitMath.LogSumExp(row);
            result[t] = new TokenLogprob(token, row[token] - logNorm, LogitMath.TopN(row, topN, logNorm, heap), LogitMath.Rank(row, token));
        }
        return result;
    }
}
