using System.Diagnostics;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Scheduling;

namespace MambaServe.Server.Cli.Bench.Gpu;

/// <summary>
/// The seed's experiment through the engine API with the scheduler: b concurrent requests, each a prompt of random
/// tokens and a fixed number of generated tokens (top_p 0.9, temperature 0.7, EOS ignored), timed from the first
/// submission to the last token, with the device memory in use sampled on a side thread and the time inside the
/// runner's steps counted (<see cref="StepTimingRunner"/>). One engine loop per batch size over the same runner (its
/// pool is sized for the largest).
/// </summary>
public static class SeedExperiment
{
    /// <summary>
    /// Tokens per engine step by default (<see cref="GpuBenchSettings.SeedStepTokens"/>): eight 1024-token prompt chunks,
    /// or 128 decodes and the rest prefill; the GPU server's own default (<see cref="GpuSchedulerDefaults"/>).
    /// </summary>
    public const int DefaultStepTokens = GpuSchedulerDefaults.MaxBatchTokensPerStep;

    /// <summary>
    /// The untimed run before the timed ones: a short prompt and enough tokens (~0.5 s) for the engine loop's and the
    /// scheduler's methods to leave the JIT's first tier. Without it the first timed run paid for that: its host time
    /// between device steps was 24-43 us a step against 5-13 us for the same batch later in the process (docs/benchmarks.md).
    /// </summary>
    private const int WarmUpPromptTokens = 64, WarmUpGeneratedTokens = 256;

    public static List<SeedFigure> Run(IModelRunner runner, GpuBenchSettings s, Action<string> log)
    {
        var figures = new List<SeedFigure>();
        var warmUp = RunOne(runner, 1, WarmUpPromptTokens, WarmUpGeneratedTokens, s.SeedStepTokens).GetAwaiter().GetResult();
        log($"seed experiment warm-up (b1, {WarmUpPromptTokens} + {WarmUpGeneratedTokens} tokens, untimed): {warmUp.Seconds:F2} s");
        var spent = Stopwatch.StartNew();
        foreach (int batch in s.SeedBatches)
        {
            if (spent.Elapsed > s.SeedBudget)
            {
                figures.Add(new SeedFigure(batch, s.SeedPromptTokens, s.SeedGeneratedTokens, null, null, $"skipped: past the time budget of {s.SeedBudget.TotalSeconds:F0} s"));
                continue;
            }

            var figure = RunOne(runner, batch, s.SeedPromptTokens, s.SeedGeneratedTokens, s.SeedStepTokens).GetAwaiter().GetResult();
            log($"seed experiment b{batch} ({s.SeedStepTokens} tokens a step): {figure.Seconds:F2} s, peak device {figure.PeakDeviceBytes / 1e9:F2} GB");
            figures.Add(figure);
        }

        return figures;
    }

    private static async Task<SeedFigure> RunOne(IModelRunner runner, int batch, int promptTokens, int generated, int stepTokens)
    {
        var options = new SchedulerOptions
        {
            MaxRunningSequences = batch, MaxBatchTokensPerStep = stepTokens, PrefillChunkSize = promptTokens, PrefixCacheMaxBytes = 0,
            MaxWaitingRequests = Math.Max(256, batch),
        };
        var timed = new StepTimingRunner(runner);
        await using var loop = new EngineLoop(timed, options, new PromptScorer(runner.Config.UnpaddedVocabSize), new DetokenizingTextStreamFactory(null));
        loop.Start();
        var rng = new Random(batch);
        int vocab = runner.Config.UnpaddedVocabSize;
        var requests = Enumerable.Range(0, batch).Select(i => new GenerationRequest($"seed-{batch}-{i}",
            Enumerable.Range(0, promptTokens).Select(_ => rng.Next(2, vocab)).ToArray(),
            new SamplingParams { Temperature = 0.7f, TopP = 0.9f, MaxTokens = generated, IgnoreEos = true, Seed = i })).ToList();

        using var memory = runner is IDeviceMemory device ? new DeviceMemorySampler(device) : null;
        var clock = Stopwatch.StartNew();
        var counts = await Task.WhenAll(requests.Select(async r =>
        {
            int tokens = 0;
            await foreach (var update in loop.GenerateAsync(r))
            {
                tokens += update.TokenIds.Count;
            }

            return tokens;
        }));
        double seconds = clock.Elapsed.TotalSeconds;
        string? note = counts.All(c => c == generated) ? null : $"only {counts.Min()} tokens in a request";
        int steps = Math.Max(timed.Steps, 1);
        double runnerMs = timed.StepTime.TotalMilliseconds;
        return new SeedFigure(batch, promptTokens, generated, seconds, memory?.PeakBytes, note, timed.Steps, runnerMs / steps,
            (seconds * 1e3 - runnerMs) / steps, stepTokens);
    }
}
