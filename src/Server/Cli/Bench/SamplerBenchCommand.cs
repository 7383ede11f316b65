using System.CommandLine;
using Spectre.Console;

namespace MambaServe.Server.Cli.Bench;

/// <summary>`bench sampler`: microseconds a token of the host sampler (the CPU runner's) by vocab size and setting.</summary>
public static class SamplerBenchCommand
{
    public static Command Create()
    {
        var vocabs = new Option<int[]>("--vocab")
        {
            Description = "Vocab sizes (the demo model's 8,192; GPT-NeoX's 50,280).", DefaultValueFactory = _ => [8192, 50280], AllowMultipleArgumentsPerToken = true,
        };
        var tokens = new Option<int>("--tokens") { Description = "Samples a round.", DefaultValueFactory = _ => 200 };
        vocabs.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int[]>() is { } v && v.Any(x => x < 2)) r.AddError("--vocab sizes must be at least 2.");
        });
        tokens.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--tokens must be at least 1.");
        });
        var command = new Command("sampler", "Measure the host sampler's time a token by vocab size and sampling setting.") { vocabs, tokens };
        command.SetAction(parse =>
        {
            var table = new Table().AddColumns("vocab", "setting", "logit sd", "µs/token");
            foreach (var vocab in parse.GetValue(vocabs)!)
            {
                foreach (var (name, p) in SamplerBenchmark.Settings)
                {
                    foreach (var sd in new[] { 1f, 4f })
                    {
                        var r = SamplerBenchmark.Run(vocab, name, p, sd, parse.GetValue(tokens));
                        table.AddRow($"{r.Vocab}", r.Setting, $"{r.LogitSd}", $"{r.MicrosecondsPerToken:F1}");
                    }
                }
            }
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}
