using System.Diagnostics;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Scheduling;

namespace MambaServe.Server.Cli.Bench;

/// <summary>Throughput and latency of the engine under a fixed number of concurrent clients.</summary>
public sealed record ServingBenchResult(int Concurrency, int Requests, double OutputTokensPerSecond, double TtftP50Ms, double TtftP90Ms, double TtftP99Ms, double TpotP50Ms);

public static class ServingBenchmark
{
    /// <summary>
    /// <paramref name="concurrency"/> clients each send requests back to back (random prompts of
    /// <paramref name="promptTokens"/> tokens, <paramref name="outputTokens"/> tokens out, EOS ignored) until
    /// <paramref name="requests"/> have finished. Time to first token is measured from the call to the first update
    /// that carries a token; time per output token over the rest of each request. <paramref name="sampling"/>: how
    /// tokens are chosen (its token limits are the bench's). <paramref name="saveStates"/>: where every request's final
    /// state goes, as a stored Responses request's does.
    /// </summary>
    public static async Task<ServingBenchResult> RunAsync(
        IGenerationEngine engine, int vocab, int concurrency, int requests, int promptTokens, int outputTokens, SamplingParams sampling,
        IStateSink? saveStates, CancellationToken ct)
    {
        var ttft = new List<double>();
        var tpot = new List<double>();
        var outputs = 0L;
        var next = 0;
        var gate = new object();
        var wall = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, concurrency).Select(async client =>
        {
            var rng = new Random(client + 1);
            int number;
            while ((number = Interlocked.Increment(ref next)) <= requests)
            {
                var prompt = Enumerable.Range(0, promptTokens).Select(_ => rng.Next(2, vocab)).ToArray();
                var request = new GenerationRequest($"bench-{client}-{number}", prompt, sampling with { MaxTokens = outputTokens, IgnoreEos = true, Seed = number })
                {
                    SaveState = saveStates,
                };
                var started = Stopwatch.GetTimestamp();
                double? first = null;
                var tokens = 0;
                await foreach (var update in engine.GenerateAsync(request, ct))
                {
                    if (first is null && update.TokenIds.Count > 0) first = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    tokens += update.TokenIds.Count;
                }
                var total = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (gate)
                {
                    ttft.Add(first ?? total);
                    if (tokens > 1) tpot.Add((total - (first ?? total)) / (tokens - 1));
                    outputs += tokens;
                }
            }
        });
        await Task.WhenAll(clients);
        var seconds = wall.Elapsed.TotalSeconds;
        return new ServingBenchResult(concurrency, requests, outputs / seconds,
            Percentile(ttft, 0.5), Percentile(ttft, 0.9), Percentile(ttft, 0.99), Percentile(tpot, 0.5));
    }

    private static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(q * sorted.Length) - 1)];
    }
}
