using System.CommandLine;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.State;
using MambaServe.Server.Hosting;
using Spectre.Console;

namespace MambaServe.Server.Cli.Bench;

/// <summary>
/// `bench serving`: tokens/s and time-to-first-token percentiles through the engine loop at several concurrency
/// levels (default 1, 4, 16, 64) on the served model (default: the demo model).
/// </summary>
public static class ServingBenchCommand
{
    public static Command Create(Option<string?> modelOption, Option<string?> deviceOption)
    {
        var levels = new Option<int[]>("--concurrency") { DefaultValueFactory = _ => [1, 4, 16, 64], AllowMultipleArgumentsPerToken = true };
        var promptTokens = new Option<int>("--prompt-tokens") { DefaultValueFactory = _ => 128 };
        var outputTokens = new Option<int>("--output-tokens") { DefaultValueFactory = _ => 64 };
        var requestsPerClient = new Option<int>("--requests-per-client") { DefaultValueFactory = _ => 4 };
        var limits = new Option<string>("--scheduler")
        {
            DefaultValueFactory = _ => "fit",
            Description = "Scheduler limits: fit (as many sequences and slots as the largest concurrency), server (the server's "
                + "defaults on this device) or cpu (the CPU's defaults, whatever the device).",
        };
        limits.AcceptOnlyFromAmong("fit", "server", "cpu");
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (0: greedy).", DefaultValueFactory = _ => 0f };
        temperature.Validators.Add(r =>
        {
            if (!(r.GetValueOrDefault<float>() >= 0f && float.IsFinite(r.GetValueOrDefault<float>()))) r.AddError("--temperature must be a number >= 0.");
        });
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling's probability mass (1: off).", DefaultValueFactory = _ => 1f };
        topP.Validators.Add(r =>
        {
            if (!(r.GetValueOrDefault<float>() is > 0f and <= 1f)) r.AddError("--top-p must be in (0, 1].");
        });
        var prefixCache = new Option<string>("--prefix-cache")
        {
            DefaultValueFactory = _ => "off",
            Description = "The prefix-state cache: off (random prompts never repeat), prompts (the prompts' boundaries only) or on "
                + "(and the states sequences finish with, the server's default): what keeping them costs a server whose prompts never repeat.",
        };
        prefixCache.AcceptOnlyFromAmong("off", "prompts", "on");
        var state = new Option<string>("--state") { Description = "The SSM state's dtype in the slot pool: fp32 or bf16.", DefaultValueFactory = _ => "fp32" };
        state.AcceptOnlyFromAmong("fp32", "bf16");
        var saveStates = new Option<bool>("--save-states")
        {
            Description = "Every request saves its final state, as a stored Responses API request does (the bench drops it).",
        };
        var dtype = ModelDTypeNames.CreateOption();
        var command = new Command("serving", "Measure engine throughput and time to first token under concurrent requests.")
        {
            levels, promptTokens, outputTokens, requestsPerClient, limits, temperature, topP, state, prefixCache, saveStates, dtype,
        };
        command.SetAction(async (parse, ct) =>
        {
            return await CliErrors.ReportingLoadFailures(parse, async () =>
            {
                var modelDir = await ModelSource.ResolveAsync(parse.GetValue(modelOption), ct);
                var device = DeviceChoice.Parse(parse.GetValue(deviceOption));
                var sampling = new SamplingParams { Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP) };
                IStateSink? sink = parse.GetValue(saveStates) ? new DroppedStates() : null;
                var stateDType = BenchStateDType.Parse(parse.GetValue(state)!);
                await RunAsync(modelDir, (device, ModelDTypeNames.Parse(parse.GetValue(dtype)!)), (parse.GetValue(limits)!, parse.GetValue(prefixCache)!), stateDType, parse.GetValue(levels)!,
                    parse.GetValue(promptTokens), parse.GetValue(outputTokens), parse.GetValue(requestsPerClient), sampling, sink, ct);
                return 0;
            });
        });
        return command;
    }

    private static async Task RunAsync(
        string modelDir, (DeviceKind Kind, ModelDType DType) device, (string Limits, string PrefixCache) choices, StateDType stateDType, int[] levels, int promptTokens,
        int outputTokens, int requestsPerClient, SamplingParams sampling, IStateSink? saveStates, CancellationToken ct)
    {
        var (limits, prefixCache) = choices;
        var maxConcurrency = levels.Max();
        var backend = RunnerBackends.Resolve(device.Kind);
        var (scheduler, pool) = Limits(limits, backend.Kind, maxConcurrency, stateDType);
        // Off, or the server's budget on this device (every other setting is the chosen limits').
        scheduler = scheduler with
        {
            PrefixCacheMaxBytes = prefixCache == "off" ? 0 : GpuSchedulerDefaults.Apply(new SchedulerOptions(), backend.Kind, _ => false).PrefixCacheMaxBytes,
            PrefixCacheFinishedStates = prefixCache == "on",
        };
        var options = new EngineOptions(scheduler, pool, Device: device.Kind) { DType = device.DType };
        await using var model = ServedModel.Load(modelDir, Path.GetFileName(modelDir.TrimEnd('/')), options, backend: backend);
        // Warm-up long enough (256 tokens over ~0.2 s) for the JIT to tier up the sampler's vector code: with 16 tokens,
        // the first level (concurrency 1) ran on unoptimised TensorPrimitives and read ~20% slow.
        await ServingBenchmark.RunAsync(model.Engine, model.SampleableVocab, 4, 8, promptTokens, 32, sampling, saveStates, ct);

        // "run ahead": the share of the level's engine steps begun while the one before still ran (GPU; docs/gpu-engine.md
        // section 2), which steps with prefill chunks or admissions are not.
        var table = new Table().AddColumns("concurrency", "requests", "output tok/s", "TTFT p50 ms", "TTFT p90 ms", "TTFT p99 ms", "TPOT p50 ms", "steps", "run ahead");
        foreach (var c in levels)
        {
            var before = model.Stats;
            var r = await ServingBenchmark.RunAsync(
                model.Engine, model.SampleableVocab, c, c * requestsPerClient, promptTokens, outputTokens, sampling, saveStates, ct);
            var after = model.Stats;
            long steps = after.Steps - before.Steps, ahead = after.StepsBegunAhead - before.StepsBegunAhead;
            table.AddRow($"{c}", $"{r.Requests}", $"{r.OutputTokensPerSecond:F0}", $"{r.TtftP50Ms:F1}", $"{r.TtftP90Ms:F1}", $"{r.TtftP99Ms:F1}", $"{r.TpotP50Ms:F2}",
                $"{steps}", steps > 0 ? $"{100.0 * ahead / steps:F0}%" : "");
        }
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(model.Name)}[/] on {Markup.Escape(model.Device.ToString())}: prompts of {promptTokens} random tokens, {outputTokens} tokens out (EOS ignored), "
            + (sampling.Temperature == 0 ? "greedy" : $"temperature {sampling.Temperature}, top_p {sampling.TopP}")
            + $", {BenchStateDType.Name(stateDType)} state, prefix cache {PrefixCacheLabel(prefixCache)}"
            + (saveStates is null ? "; " : ", every request saving its final state; ")
            + $"scheduler ({limits}): {scheduler.MaxRunningSequences} sequences, {scheduler.MaxBatchTokensPerStep} tokens a step, prefill chunks of {scheduler.PrefillChunkSize}");
        AnsiConsole.Write(table);
    }

    /// <summary>Takes each request's final state and drops it: the snapshot's cost without a store's memory.</summary>
    private sealed class DroppedStates : IStateSink
    {
        public void Save(SavedState state, IModelRunner runner) => state.Snapshot.Dispose();
    }

    private static string PrefixCacheLabel(string choice) => choice switch
    {
        "off" => "off",
        "prompts" => "on, prompts' boundaries only",
        _ => "on, with the states sequences finish with",
    };

    /// <summary>The scheduler and pool of a <c>--scheduler</c> choice on the device <paramref name="device"/> resolved to.</summary>
    private static (SchedulerOptions, StatePoolOptions) Limits(string limits, DeviceKind device, int maxConcurrency, StateDType stateDType)
    {
        // Every client may wait at once; the prefix cache would serve repeated random prompts from memory.
        var plain = new SchedulerOptions { PrefixCacheMaxBytes = 0, MaxWaitingRequests = Math.Max(256, maxConcurrency) };
        if (limits == "fit")
        {
            var fit = plain with { MaxRunningSequences = maxConcurrency, MaxBatchTokensPerStep = Math.Max(2048, maxConcurrency + 512) };
            return (fit, new StatePoolOptions { SlotCount = maxConcurrency, SsmStateDType = stateDType });
        }

        var scheduler = limits == "server" ? GpuSchedulerDefaults.Apply(plain, device, _ => false) : plain;
        return (scheduler, ServedModelLoader.Slots(new StatePoolOptions { SsmStateDType = stateDType }, scheduler));
    }
}
