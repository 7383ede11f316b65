using System.CommandLine;
using MambaServe.Engine.Scheduling;
using Spectre.Console;

namespace MambaServe.Server.Cli.Bench;

/// <summary>`bench scheduler`: the engine's own cost per step (scheduling and bookkeeping) on a no-op runner.</summary>
public static class SchedulerBenchCommand
{
    public static Command Create()
    {
        var sequences = new Option<int>("--sequences") { DefaultValueFactory = _ => 256 };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 5000 };
        var command = new Command("scheduler", "Measure scheduler bookkeeping time per step with many running sequences on a no-op runner.")
        {
            sequences, steps,
        };
        command.SetAction(parse =>
        {
            SchedulerBench.Run(parse.GetValue(sequences), 500); // warm-up (JIT tiering)
            var r = SchedulerBench.Run(parse.GetValue(sequences), parse.GetValue(steps));
            AnsiConsole.MarkupLine($"{r.Sequences} running sequences, {r.Steps} steps: mean {r.MeanStep.TotalMicroseconds:F1} µs/step, " +
                                   $"fastest {r.FastestStep.TotalMicroseconds:F1} µs, {r.AllocatedBytesPerStep / 1024:F1} KiB allocated/step (target: mean under 50 µs)");
            return 0;
        });
        return command;
    }
}
