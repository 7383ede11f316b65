using System.Diagnostics;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.State;

namespace MambaServe.Server.Cli.Bench.Gpu;

/// <summary>
/// The GPU benchmark of issue 9 on one checkpoint (the mamba-2.8b shape with random bf16 weights): per SSM state
/// dtype, the decode step time at each batch size, the prefill of a whole prompt per batch size, and the seed's
/// experiment through the engine (<see cref="SeedExperiment"/>). One runner per state dtype serves all three.
/// </summary>
public static class GpuBenchmark
{
    public static GpuBenchRun Run(IRunnerBackend backend, GpuBenchSettings s, StateDType state, Action<string> log)
    {
        var weights = CheckpointWeightSource.Open(s.Checkpoint);
        int slots = Math.Max(s.DecodeBatches.DefaultIfEmpty(1).Max(), s.SeedBatches.DefaultIfEmpty(1).Max());
        int stepTokens = Math.Max(s.PrefillBatches.DefaultIfEmpty(1).Max() * s.PrefillTokens, s.SeedStepTokens);
        var options = new RunnerOptions(weights, new StatePoolOptions { SlotCount = slots, SsmStateDType = state }, weights.Config.UnpaddedVocabSize)
        {
            MaxStepTokens = stepTokens,
        };
        var clock = Stopwatch.StartNew();
        using var runner = backend.CreateRunner(options);
        double loadSeconds = clock.Elapsed.TotalSeconds;
        long hostPeak = HostMemory.PeakResidentBytes();
        long deviceInUse = runner is IDeviceMemory memory ? memory.QueryMemory().UsedBytes : 0;
        log($"{runner.Device}: loaded in {loadSeconds:F1} s, host peak {hostPeak / 1e9:F2} GB, device in use {deviceInUse / 1e9:F2} GB");

        var decode = s.DecodeBatches.Select(b => Decode(runner, b, s.DecodeSteps)).ToList();
        log($"decode: {string.Join(", ", decode.Select(d => $"b{d.Batch} {d.MsMedian:F3} ms" + (d.MsAhead is { } a ? $" ({a:F3} ahead)" : "")))}");
        var prefill = s.PrefillBatches.Select(b => Prefill(runner, b, s.PrefillTokens)).ToList();
        log($"prefill: {string.Join(", ", prefill.Select(p => $"b{p.Batch} {p.MsMedian:F1} ms"))}");
        var seed = SeedExperiment.Run(runner, s, log);
        return new GpuBenchRun(BenchStateDType.Name(state), runner.Device.ToString(), loadSeconds, hostPeak, deviceInUse,
            decode, prefill, seed);
    }

    /// <summary>Steps of <paramref name="batch"/> decodes, each greedily sampled (the peer's decode is greedy too).</summary>
    private static DecodeFigure Decode(IModelRunner runner, int batch, int steps)
    {
        var rng = new Random(batch);
        int vocab = runner.Config.UnpaddedVocabSize;
        var greedy = new SamplingParams { Temperature = 0 };
        // EOS as the stop token, as the engine gives every sample: a batch run ahead then holds back rows that drew it
        // (one more small kernel a step). MSV_BENCH_STOP_IDS=0 leaves it out, to measure that kernel (A/B).
        int[] stops = Environment.GetEnvironmentVariable("MSV_BENCH_STOP_IDS") == "0" ? [] : [runner.Config.EosTokenId ?? 0];
        var samplings = Enumerable.Range(0, batch).Select(i => new SequenceSampling(greedy, i, [1], stopTokens: stops)).ToArray();
        var step = new StepBatch();
        for (int i = 0; i < batch; i++)
        {
            runner.ZeroSlot(i);
            step.AddChunk(i, Enumerable.Range(0, 16).Select(_ => rng.Next(vocab)).ToArray());
        }

        runner.Step(step);
        var times = new List<double>(steps);
        for (int n = -5; n < steps; n++)
        {
            step.Clear();
            for (int i = 0; i < batch; i++)
            {
                step.AddToken(i, rng.Next(vocab)).AddSample(i, samplings[i]);
            }

            long t0 = Stopwatch.GetTimestamp();
            runner.Step(step);
            if (n >= 0)
            {
                times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        }

        double median = Median(times);
        return new DecodeFigure(batch, median, times.Average(), batch / median * 1000, DecodeAhead(runner, batch, steps, samplings));
    }

    /// <summary>
    /// Ms per step of <paramref name="steps"/> decode steps run ahead: each begun, its tokens those the step before
    /// chose, late in that one's run and before it ends (the engine's way on such a runner); null on a runner that does
    /// not run ahead.
    /// </summary>
    private static double? DecodeAhead(IModelRunner runner, int batch, int steps, SequenceSampling[] samplings)
    {
        if (!runner.RunsAhead)
        {
            return null;
        }

        // Three batches in turn: the one in flight, the one it continues, and the next.
        var batches = new[] { new StepBatch(), new StepBatch(), new StepBatch() };
        var previous = batches[0];
        for (int i = 0; i < batch; i++)
        {
            previous.AddToken(i, i).AddSample(i, samplings[i]);
        }

        runner.Begin(previous);
        long started = 0;
        for (int n = -5; n < steps; n++)
        {
            if (n == 0)
            {
                started = Stopwatch.GetTimestamp();
            }

            var next = batches[(n + 6) % 3];
            next.Clear();
            bool continues = runner.CanContinue(previous);
            if (continues)
            {
                // The engine decides on the next batch late in the one in flight.
                runner.WaitForTail();
            }

            for (int i = 0; i < batch; i++)
            {
                (continues ? next.AddNextToken(i, previous.Entries[i].Samples[0]) : next.AddToken(i, i)).AddSample(i, samplings[i]);
            }

            if (!continues)
            {
                runner.End(previous);
            }

            runner.Begin(next);
            if (continues)
            {
                runner.End(previous);
            }

            previous = next;
        }

        double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds / steps;
        runner.End(previous);
        return ms;
    }

    /// <summary>One step holding <paramref name="batch"/> whole prompts, each sampled at its end; median of 5 after a warm-up.</summary>
    private static PrefillFigure Prefill(IModelRunner runner, int batch, int tokens)
    {
        var rng = new Random(tokens + batch);
        int vocab = runner.Config.UnpaddedVocabSize;
        var prompts = Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, tokens).Select(_ => rng.Next(vocab)).ToArray()).ToArray();
        var step = new StepBatch();
        var times = new List<double>();
        for (int n = -1; n < 5; n++)
        {
            step.Clear();
            for (int i = 0; i < batch; i++)
            {
                runner.ZeroSlot(i);
                step.AddChunk(i, prompts[i]).AddSample(i, new SequenceSampling(new SamplingParams { Temperature = 0 }, i, prompts[i]));
            }

            long t0 = Stopwatch.GetTimestamp();
            runner.Step(step);
            if (n >= 0)
            {
                times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        }

        return new PrefillFigure(batch, tokens, Median(times));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
