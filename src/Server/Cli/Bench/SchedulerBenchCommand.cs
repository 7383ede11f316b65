using System.CommandLine;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Tokenization;
using Spectre.Console;

namespace MambaServe.Server.Cli.Bench;

/// <summary>
/// `bench scheduler`: the engine's own cost per step (scheduling and bookkeeping) on a no-op runner; `--text <model
/// dir>` detokenises with that model's tokenizer, `--outbox inline|background` makes the updates on the engine
/// thread or, as the engine loop does, on the outbox's thread; `--device-us N` makes every step hold the engine
/// thread N µs, as a device step does (the mean then includes it).
/// </summary>
public static class SchedulerBenchCommand
{
    public static Command Create()
    {
        var sequences = new Option<int>("--sequences") { DefaultValueFactory = _ => 256 };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 5000 };
        var text = new Option<string?>("--text") { Description = "Detokenise with this model directory's tokenizer.json" };
        var outbox = new Option<string>("--outbox") { DefaultValueFactory = _ => "background" };
        outbox.AcceptOnlyFromAmong("inline", "background");
        var deviceUs = new Option<int>("--device-us") { Description = "Hold the engine thread this long per step, as a device step does" };
        var command = new Command("scheduler", "Measure scheduler bookkeeping time per step with many running sequences on a no-op runner.")
        {
            sequences, steps, text, outbox, deviceUs,
        };
        command.SetAction(parse =>
        {
            ITextStreamFactory? texts = null;
            if (parse.GetValue(text) is { } path)
            {
                var dir = Path.GetFullPath(ShellPaths.Input(path));
                var tokenizer = MambaTokenizer.TryLoad(dir)
                    ?? throw new InvalidOperationException($"No tokenizer.json in {dir}.");
                texts = new DetokenizingTextStreamFactory(tokenizer);
            }

            bool background = parse.GetValue(outbox) == "background";
            var device = TimeSpan.FromMicroseconds(parse.GetValue(deviceUs));
            SchedulerBench.Run(parse.GetValue(sequences), 500, texts, background, device); // warm-up (JIT tiering)
            var r = SchedulerBench.Run(parse.GetValue(sequences), parse.GetValue(steps), texts, background, device);
            AnsiConsole.MarkupLine($"{r.Sequences} running sequences, {r.Steps} steps, text {(texts is null ? "none" : "detokenised")}, " +
                                   $"device step {device.TotalMicroseconds:F0} µs, " +
                                   $"updates made {(background ? "on the outbox thread" : "inline")}: mean {r.MeanStep.TotalMicroseconds:F1} µs/step " +
                                   $"on the engine thread, fastest {r.FastestStep.TotalMicroseconds:F1} µs, " +
                                   $"{r.AllocatedBytesPerStep / 1024:F1} KiB allocated/step there (target: mean under 50 µs)");
            return 0;
        });
        return command;
    }
}
