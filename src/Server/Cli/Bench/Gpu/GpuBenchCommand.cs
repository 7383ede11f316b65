using System.CommandLine;
using System.Text.Json;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Loading;
using Spectre.Console;

namespace MambaServe.Server.Cli.Bench.Gpu;

/// <summary>
/// `bench gpu` (issue 9 point 9: decode, prefill and the seed's experiment on a GPU, JSON + PNG), `bench
/// make-checkpoint` (a random bf16 checkpoint of a public shape, so the GPU host makes the 2.8b shape in seconds)
/// and `bench plot` (the PNG again from a JSON report).
/// </summary>
public static class GpuBenchCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create(Option<string?> deviceOption)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder (bench make-checkpoint writes one).", Required = true };
        var states = new Option<string[]>("--states") { Description = "SSM state dtypes: fp32, bf16.", DefaultValueFactory = _ => ["fp32", "bf16"], AllowMultipleArgumentsPerToken = true };
        var decodeBatches = Ints("--decode-batches", "Decode batch sizes.", [1, 8, 64, 256]);
        var prefillBatches = Ints("--prefill-batches", "Prefill batch sizes.", [1, 16]);
        var seedBatches = Ints("--seed-batches", "Seed-experiment batch sizes.", [1, 2, 4, 8, 16, 32, 64, 128]);
        var seedBudget = new Option<int>("--seed-budget-s") { Description = "Seconds of seed experiment per state dtype before the rest is skipped.", DefaultValueFactory = _ => 600 };
        var generated = new Option<int>("--seed-generate") { Description = "Tokens generated per request in the seed experiment.", DefaultValueFactory = _ => 1024 };
        var seedStepTokens = new Option<int>("--seed-step-tokens")
        {
            Description = "The scheduler's tokens a step in the seed experiment (prompt chunks and decodes).", DefaultValueFactory = _ => SeedExperiment.DefaultStepTokens,
        };
        seedStepTokens.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--seed-step-tokens must be at least 1.");
        });
        var (jsonOut, pngOut, peers) = Outputs();
        var command = new Command("gpu", "Decode, prefill and the seed's experiment on a GPU; writes JSON and a PNG against the peers.")
        {
            checkpoint, states, decodeBatches, prefillBatches, seedBatches, seedBudget, generated, seedStepTokens, jsonOut, pngOut, peers,
        };
        command.SetAction(async (parse, ct) =>
        {
            return await CliErrors.ReportingLoadFailures(parse, async () =>
            {
                var device = DeviceChoice.Parse(parse.GetValue(deviceOption));
                var backend = RunnerBackends.Resolve(device);
                if (backend.Kind == DeviceKind.Cpu && device == DeviceKind.Auto)
                {
                    // An explicit --device cpu runs it (small models, to try the command); auto falling back to the CPU is a mistake.
                    throw new BackendUnavailableException("bench gpu found no GPU (auto chose the CPU); pass --device cuda or rocm, or --device cpu on purpose.");
                }

                var settings = new GpuBenchSettings
                {
                    Checkpoint = ShellPaths.Input(parse.GetValue(checkpoint)!), States = [.. parse.GetValue(states)!.Select(BenchStateDType.Parse)],
                    DecodeBatches = parse.GetValue(decodeBatches)!, PrefillBatches = parse.GetValue(prefillBatches)!,
                    SeedBatches = parse.GetValue(seedBatches)!, SeedBudget = TimeSpan.FromSeconds(parse.GetValue(seedBudget)),
                    SeedGeneratedTokens = parse.GetValue(generated), SeedStepTokens = parse.GetValue(seedStepTokens),
                };
                var config = CheckpointWeightSource.Open(settings.Checkpoint).Config;
                var runs = settings.States.Select(state => GpuBenchmark.Run(backend, settings, state, line => AnsiConsole.MarkupLine(Markup.Escape(line)))).ToList();
                var report = new GpuBenchReport(DateTimeOffset.UtcNow, Path.GetFileName(settings.Checkpoint.TrimEnd('/')), config.ParameterCount, config.ParameterCount * 2, runs);
                await Finish(report, parse.GetValue(jsonOut), parse.GetValue(pngOut), parse.GetValue(peers)!, ct);
                return 0;
            }, argumentErrorsToo: true);
        });
        return command;
    }

    public static Command CreatePlot()
    {
        var input = new Option<string>("--report") { Description = "A JSON report of bench gpu.", Required = true };
        var (_, pngOut, peers) = Outputs();
        var command = new Command("plot", "Draws the PNG of a bench gpu JSON report against the peers.") { input, pngOut, peers };
        command.SetAction(async (parse, ct) =>
        {
            var report = JsonSerializer.Deserialize<GpuBenchReport>(await File.ReadAllTextAsync(ShellPaths.Input(parse.GetValue(input)!), ct), Json)!;
            await Finish(report, null, parse.GetValue(pngOut), parse.GetValue(peers)!, ct);
            return 0;
        });
        return command;
    }

    public static Command CreateMakeCheckpoint()
    {
        var output = new Option<string>("--out") { Description = "Folder to write config.json and model.safetensors into.", Required = true };
        var shape = new Option<string>("--shape") { Description = "2.8b, 130m or falcon-mamba-7b.", DefaultValueFactory = _ => "2.8b" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var tokenizer = new Option<string?>("--tokenizer-from") { Description = "Copy tokenizer.json and tokenizer_config.json from this model folder." };
        var command = new Command("make-checkpoint", "Writes a random-weight bf16 checkpoint of a public Mamba shape.") { output, shape, seed, tokenizer };
        command.SetAction(parse =>
        {
            var config = parse.GetValue(shape) switch
            {
                "2.8b" => RandomCheckpoint.Mamba28bShape,
                "130m" => RandomCheckpoint.Mamba130mShape,
                "falcon-mamba-7b" => RandomCheckpoint.FalconMamba7bShape,
                var other => throw new ArgumentException($"Unknown shape '{other}': 2.8b, 130m or falcon-mamba-7b."),
            };
            var dir = ShellPaths.Output(parse.GetValue(output)!);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long bytes = RandomCheckpointWriter.Write(dir, config, parse.GetValue(seed));
            if (parse.GetValue(tokenizer) is { } tokenizerFrom)
            {
                var from = ShellPaths.Input(tokenizerFrom);
                foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" }.Where(f => File.Exists(Path.Combine(from, f))))
                {
                    File.Copy(Path.Combine(from, file), Path.Combine(dir, file), overwrite: true);
                }
            }

            Console.WriteLine($"wrote {dir}: {config.ParameterCount / 1e9:F2} B parameters, {bytes / 1e9:F2} GB of bf16 weights in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return command;
    }

    private static async Task Finish(GpuBenchReport report, string? jsonPath, string? pngPath, string[] peerFiles, CancellationToken ct)
    {
        var peers = PeerResults.Read(ShellPaths.Inputs(peerFiles));
        jsonPath = jsonPath is null ? null : ShellPaths.Output(jsonPath);
        pngPath = pngPath is null ? null : ShellPaths.Output(pngPath);
        GpuBenchTables.Write(report, peers);
        if (jsonPath is not null)
        {
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(report, Json), ct);
        }

        if (pngPath is not null)
        {
            GpuBenchChart.Save(report, peers, pngPath);
        }
    }

    private static (Option<string?> Json, Option<string?> Png, Option<string[]> Peers) Outputs() => (
        new Option<string?>("--json") { Description = "Write the figures here as JSON." },
        new Option<string?>("--png") { Description = "Draw generation time against batch size here." },
        new Option<string[]>("--peers") { Description = "Peer JSON-lines files: the recorded Hugging Face runs, this call's peer_pytorch.py output.", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = true });

    private static Option<int[]> Ints(string name, string description, int[] defaults) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaults, AllowMultipleArgumentsPerToken = true };
}
