using System.Diagnostics;
using MambaServe.Engine.Sampling;

namespace MambaServe.Server.Cli.Bench;

/// <summary>One setting's cost: microseconds a token for one sequence's sampler over one logits row.</summary>
public sealed record SamplerBenchResult(int Vocab, string Setting, float LogitSd, double MicrosecondsPerToken);

/// <summary>
/// The host sampler (the CPU runner's) alone: <see cref="SequenceSampler.Sample(ReadOnlySpan{float})"/> on rows of
/// normal random logits. The spread of the logits decides how much of the row top_p keeps (sd 1 at temperature 0.7:
/// most of it, a worst case; a trained model's rows are peaked, closer to sd 4).
/// </summary>
public static class SamplerBenchmark
{
    public static readonly (string Name, SamplingParams Params)[] Settings =
    [
        ("greedy", new SamplingParams { Temperature = 0f }),
        ("temperature 1", new SamplingParams { Temperature = 1f }),
        ("temperature 0.7, top_p 0.9", new SamplingParams { Temperature = 0.7f, TopP = 0.9f }),
        ("temperature 0.7, top_k 50", new SamplingParams { Temperature = 0.7f, TopK = 50 }),
    ];

    /// <summary>Best of five rounds of <paramref name="tokens"/> samples, after a warm-up.</summary>
    public static SamplerBenchResult Run(int vocab, string setting, SamplingParams p, float logitSd, int tokens)
    {
        var random = new Random(1);
        var rows = Enumerable.Range(0, 8).Select(_ => NormalRow(random, vocab, logitSd)).ToArray();
        var sampler = new SequenceSampler(p, vocab, [], 7);
        // Half a second at least: the JIT tiers the vector code up in the background after ~30 calls and 0.1 s.
        var warm = Stopwatch.StartNew();
        for (var i = 0; i < tokens || warm.ElapsedMilliseconds < 500; i++)
        {
            sampler.Sample(rows[i % rows.Length]);
        }

        var best = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < tokens; i++)
            {
                sampler.Sample(rows[i % rows.Length]);
            }
            best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalMicroseconds / tokens);
        }

        return new SamplerBenchResult(vocab, setting, logitSd, best);
    }

    private static float[] NormalRow(Random random, int vocab, float sd) =>
        Enumerable.Range(0, vocab)
            .Select(_ => (float)(sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))
            .ToArray();
}
