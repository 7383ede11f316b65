using System.CommandLine;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.State;
using Spectre.Console;

namespace MambaServe.Server.Cli.Bench;

/// <summary>
/// `bench`: prefill and decode tokens/s at batch 1 and 16 for the demo model and for random weights of mamba-130m's
/// shape, on the backend <c>--device</c> selects, beside the machine's measured memory read bandwidth. A tool that
/// prints numbers, never a test.
/// </summary>
public static class BenchCommand
{
    public static Command Create(Option<string?> modelOption, Option<string?> deviceOption)
    {
        var batches = new Option<int[]>("--batch") { Description = "Batch sizes.", DefaultValueFactory = _ => [1, 16], AllowMultipleArgumentsPerToken = true };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length per sequence.", DefaultValueFactory = _ => 256 };
        var decodeSteps = new Option<int>("--decode-steps") { Description = "Decode steps timed.", DefaultValueFactory = _ => 32 };
        var skipRandom = new Option<bool>("--skip-130m") { Description = "Skip the random mamba-130m-shaped model." };
        var dtype = ModelDTypeNames.CreateOption();
        var command = new Command("bench", "Measure prefill/decode throughput and memory bandwidth.")
        {
            batches, promptTokens, decodeSteps, skipRandom, dtype,
        };
        command.Subcommands.Add(ServingBenchCommand.Create(modelOption, deviceOption));
        command.Subcommands.Add(SchedulerBenchCommand.Create());
        command.Subcommands.Add(SamplerBenchCommand.Create());
        command.Subcommands.Add(GrammarMaskBenchCommand.Create(modelOption));
        command.Subcommands.Add(ConversationBenchCommand.Create(modelOption, deviceOption));
        command.Subcommands.Add(LongGenerationBenchCommand.Create(modelOption, deviceOption));
        command.Subcommands.Add(Gpu.GpuBenchCommand.Create(deviceOption));
        command.Subcommands.Add(Gpu.GpuBenchCommand.CreateMakeCheckpoint());
        command.Subcommands.Add(Gpu.GpuBenchCommand.CreatePlot());
        command.SetAction(async (parse, ct) =>
        {
            return await CliErrors.ReportingLoadFailures(parse, async () =>
            {
                var backend = RunnerBackends.Resolve(DeviceChoice.Parse(parse.GetValue(deviceOption)));
                var model = await ModelSource.ResolveAsync(parse.GetValue(modelOption), ct);
                Run(backend, ModelDTypeNames.Parse(parse.GetValue(dtype)!), model, parse.GetValue(batches)!, parse.GetValue(promptTokens),
                    parse.GetValue(decodeSteps), parse.GetValue(skipRandom));
                return 0;
            });
        });
        return command;
    }

    private static void Run(IRunnerBackend backend, ModelDType dtype, string modelDir, int[] batches, int promptTokens, int decodeSteps, bool skipRandom)
    {
        // Redirected output has no terminal width; keep the table on one line per row.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
        // The bandwidth of a shared machine drifts; it is measured before and after the runs and the higher value is
        // the yardstick, which makes the ratio below the conservative one.
        var before = MemoryBandwidth.MeasureReadGBps();

        var rows = new List<(string Model, long WeightBytes, RunnerBenchResult Result)>();
        rows.AddRange(Measure(backend, dtype, Path.GetFileName(modelDir.TrimEnd('/')), CheckpointWeightSource.Open(modelDir), batches, promptTokens, decodeSteps));
        if (!skipRandom)
        {
            var shape = RandomCheckpoint.Mamba130mShape;
            var random = new InMemoryWeightSource(shape, RandomCheckpoint.Create(shape, seed: 7));
            rows.AddRange(Measure(backend, dtype, "random mamba-130m shape", random, batches, promptTokens, decodeSteps));
        }
        var after = MemoryBandwidth.MeasureReadGBps();
        var bandwidth = Math.Max(before, after);
        AnsiConsole.MarkupLine($"Memory read bandwidth: [bold]{bandwidth:F1} GB/s[/] (before the runs {before:F1}, after {after:F1}; {Environment.ProcessorCount} threads)");

        var table = new Table().AddColumns("model", "weights", "batch", "prefill tok/s", "decode tok/s", "decode ms/step", "weights-read ms", "ratio");
        foreach (var (model, weightBytes, r) in rows)
        {
            var readMs = weightBytes / (bandwidth * 1e9) * 1000;
            table.AddRow(model, $"{weightBytes / 1e6:F0} MB", $"{r.Batch}", $"{r.PrefillTokensPerSecond:F0}",
                $"{r.DecodeTokensPerSecond:F1}", $"{r.DecodeMsPerStep:F2}", $"{readMs:F2}", r.Batch == 1 ? $"{r.DecodeMsPerStep / readMs:F2}" : "");
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("ratio = decode ms/step at batch 1 / time to read the weights (in the type the runner keeps them) once at the measured bandwidth (target <= 2).");
    }

    private static IEnumerable<(string, long, RunnerBenchResult)> Measure(IRunnerBackend backend, ModelDType dtype, string name,
        IWeightSource weights, int[] batches, int promptTokens, int decodeSteps)
    {
        var options = new RunnerOptions(weights, new StatePoolOptions { SlotCount = batches.Max() }, weights.Config.UnpaddedVocabSize, DType: dtype);
        using var runner = backend.CreateRunner(options);
        AnsiConsole.MarkupLine($"{Markup.Escape(name)} on {Markup.Escape(runner.Device.ToString())}");
        var weightBytes = runner.Device.WeightBytes > 0 ? runner.Device.WeightBytes : weights.Config.ParameterCount * sizeof(float);
        return batches.Select(batch => (name, weightBytes, RunnerBenchmark.Run(runner, batch, promptTokens, decodeSteps))).ToList();
    }
}
