using System.Diagnostics;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Sampling;

namespace MambaServe.Server.Cli.Bench;

/// <summary>Prefill and decode throughput of one model runner at one batch size.</summary>
public sealed record RunnerBenchResult(int Batch, double PrefillTokensPerSecond, double DecodeTokensPerSecond, double DecodeMsPerStep);

public static class RunnerBenchmark
{
    /// <summary>
    /// Prefills <paramref name="batch"/> sequences of <paramref name="promptTokens"/> random tokens (one slot each,
    /// one step each), then runs <paramref name="decodeSteps"/> steps that decode all of them at once, each sampling
    /// greedily (the LM head and the sampler count, as in serving). One warm-up round first.
    /// </summary>
    public static RunnerBenchResult Run(IModelRunner runner, int batch, int promptTokens, int decodeSteps, int seed = 1)
    {
        var rng = new Random(seed);
        var vocab = runner.Config.UnpaddedVocabSize;
        var prompt = Enumerable.Range(0, promptTokens).Select(_ => rng.Next(vocab)).ToArray();
        var greedy = new SamplingParams { Temperature = 0 };
        var samplings = Enumerable.Range(0, batch).Select(s => new SequenceSampling(greedy, s, prompt)).ToArray();
        var step = new StepBatch();

        // Warm-up: first calls pay for allocations and thread-pool start.
        runner.ZeroSlot(0);
        Prefill(runner, step, 0, prompt.AsMemory(0, Math.Min(16, prompt.Length)), samplings[0]);
        Decode(runner, step, [rng.Next(vocab)], samplings);

        var sw = Stopwatch.StartNew();
        for (var s = 0; s < batch; s++)
        {
            runner.ZeroSlot(s);
            Prefill(runner, step, s, prompt, samplings[s]);
        }
        var prefillSeconds = sw.Elapsed.TotalSeconds;

        var tokens = new int[batch];
        sw.Restart();
        for (var i = 0; i < decodeSteps; i++)
        {
            for (var b = 0; b < batch; b++) tokens[b] = rng.Next(vocab);
            Decode(runner, step, tokens, samplings);
        }
        var decodeSeconds = sw.Elapsed.TotalSeconds;
        return new RunnerBenchResult(
            batch,
            PrefillTokensPerSecond: (double)batch * promptTokens / prefillSeconds,
            DecodeTokensPerSecond: (double)batch * decodeSteps / decodeSeconds,
            DecodeMsPerStep: decodeSeconds * 1000 / decodeSteps);
    }

    private static void Prefill(IModelRunner runner, StepBatch step, int slot, ReadOnlyMemory<int> tokens, SequenceSampling sampling)
    {
        step.Clear();
        step.AddChunk(slot, tokens).AddSample(slot, sampling);
        runner.Step(step);
    }

    /// <summary>One token for slots 0..tokens.Length-1.</summary>
    private static void Decode(IModelRunner runner, StepBatch step, int[] tokens, SequenceSampling[] samplings)
    {
        step.Clear();
        for (var s = 0; s < tokens.Length; s++) step.AddToken(s, tokens[s]).AddSample(s, samplings[s]);
        runner.Step(step);
    }
}
