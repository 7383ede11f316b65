using System.CommandLine;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
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
        var command = new Command("serving", "Measure engine throughput and time to first token under concurrent requests.")
        {
            levels, promptTokens, outputTokens, requestsPerClient, limits,
        };
        command.SetAction(async (parse, ct) =>
        {
            return await CliErrors.ReportingLoadFailures(async () =>
            {
                var modelDir = await ModelSource.ResolveAsync(parse.GetValue(modelOption), ct);
                var device = DeviceChoice.Parse(parse.GetValue(deviceOption));
                await RunAsync(modelDir, device, parse.GetValue(limits)!, parse.GetValue(levels)!, parse.GetValue(promptTokens), parse.GetValue(outputTokens),
                    parse.GetValue(requestsPerClient), ct);
                return 0;
            });
        });
        return command;
    }

    private static async Task RunAsync(string modelDir, DeviceKind device, string limits, int[] levels, int promptTokens, int outputTokens, int requestsPerClient, CancellationToken ct)
    {
        var maxConcurrency = levels.Max();
        var backend = RunnerBackends.Resolve(device);
        var (scheduler, pool) = Limits(limits, backend.Kind, maxConcurrency);
        var options = new EngineOptions(scheduler, pool, Device: device);
        await using var model = ServedModel.Load(modelDir, Path.GetFileName(modelDir.TrimEnd('/')), options, backend: backend);
        await ServingBenchmark.RunAsync(model.Engine, model.SampleableVocab, 1, 2, promptTokens, 8, ct); // warm-up

        var table = new Table().AddColumns("concurrency", "requests", "output tok/s", "TTFT p50 ms", "TTFT p90 ms", "TTFT p99 ms", "TPOT p50 ms");
        foreach (var c in levels)
        {
            var r = await ServingBenchmark.RunAsync(model.Engine, model.SampleableVocab, c, c * requestsPerClient, promptTokens, outputTokens, ct);
            table.AddRow($"{c}", $"{r.Requests}", $"{r.OutputTokensPerSecond:F0}", $"{r.TtftP50Ms:F1}", $"{r.TtftP90Ms:F1}", $"{r.TtftP99Ms:F1}", $"{r.TpotP50Ms:F2}");
        }
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(model.Name)}[/]: prompts of {promptTokens} random tokens, {outputTokens} tokens out (EOS ignored), greedy, prefix cache off; "
            + $"scheduler ({limits}): {scheduler.MaxRunningSequences} sequences, {scheduler.MaxBatchTokensPerStep} tokens a step, prefill chunks of {scheduler.PrefillChunkSize}");
        AnsiConsole.Write(table);
    }

    /// <summary>The scheduler and pool of a <c>--scheduler</c> choice on the device <paramref name="device"/> resolved to.</summary>
    private static (SchedulerOptions, StatePoolOptions) Limits(string limits, DeviceKind device, int maxConcurrency)
    {
        // Every client may wait at once; the prefix cache would serve repeated random prompts from memory.
        var plain = new SchedulerOptions { PrefixCacheMaxBytes = 0, MaxWaitingRequests = Math.Max(256, maxConcurrency) };
        if (limits == "fit")
        {
            var fit = plain with { MaxRunningSequences = maxConcurrency, MaxBatchTokensPerStep = Math.Max(2048, maxConcurrency + 512) };
            return (fit, new StatePoolOptions { SlotCount = maxConcurrency });
        }

        var scheduler = limits == "server" ? GpuSchedulerDefaults.Apply(plain, device, _ => false) : plain;
        return (scheduler, ServedModelLoader.Slots(new StatePoolOptions(), scheduler));
    }
}
