using System.Diagnostics;
using MambaServe.Engine.Backends;

namespace MambaServe.Server.Cli.Bench;

/// <summary>Prefill and decode throughput of one model runner at one batch size.</summary>
public sealed record RunnerBenchResult(int Batch, double PrefillTokensPerSecond, double DecodeTokensPerSecond, double DecodeMsPerStep);

public static class RunnerBenchmark
{
    /// <summary>
    /// Prefills <paramref name="batch"/> sequences of <paramref name="promptTokens"/> random tokens (one slot each),
    /// then runs <paramref name="decodeSteps"/> batched decode steps over all of them. One warm-up round first.
    /// </summary>
    public static RunnerBenchResult Run(IModelRunner runner, int batch, int promptTokens, int decodeSteps, int seed = 1)
    {
        var rng = new Random(seed);
        var vocab = runner.Config.UnpaddedVocabSize;
        var slots = Enumerable.Range(0, batch).ToArray();
        var prompt = Enumerable.Range(0, promptTokens).Select(_ => rng.Next(vocab)).ToArray();
        var logits = new float[(long)batch * runner.LogitsWidth];
        var tokens = new int[batch];

        // Warm-up: first calls pay for allocations and thread-pool start.
        runner.ZeroSlot(0);
        runner.Prefill(0, prompt.AsSpan(0, Math.Min(16, prompt.Length)), logits, allLogits: false);
        runner.Decode(slots.AsSpan(0, 1), tokens.AsSpan(0, 1), logits);

        var sw = Stopwatch.StartNew();
        foreach (var s in slots)
        {
            runner.ZeroSlot(s);
            runner.Prefill(s, prompt, logits, allLogits: false);
        }
        var prefillSeconds = sw.Elapsed.TotalSeconds;

        sw.Restart();
        for (var step = 0; step < decodeSteps; step++)
        {
            for (var i = 0; i < batch; i++) tokens[i] = rng.Next(vocab);
            runner.Decode(slots, tokens, logits);
        }
        var decodeSeconds = sw.Elapsed.TotalSeconds;
        return new RunnerBenchResult(
            batch,
            PrefillTokensPerSecond: (double)batch * promptTokens / prefillSeconds,
            DecodeTokensPerSecond: (double)batch * decodeSteps / decodeSeconds,
            DecodeMsPerStep: decodeSeconds * 1000 / decodeSteps);
    }
}
