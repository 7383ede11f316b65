using System.CommandLine;
using MambaServe.Server.Cli.Bench;

namespace MambaServe.Server.Cli;

/// <summary>
/// The program's commands: no subcommand serves; `generate` streams a completion to stdout; `bench` measures.
/// </summary>
public static class CommandLine
{
    public static RootCommand Build()
    {
        var model = new Option<string?>("--model")
        {
            Description = "Model folder or Hugging Face hub id (default: the embedded models/mamba-demo-5m).",
            Recursive = true,
        };
        var root = new RootCommand("MambaServe: an inference server for Mamba language models.") { model };
        root.Subcommands.Add(GenerateCommand.Create(model));
        root.Subcommands.Add(BenchCommand.Create(model));
        root.TreatUnmatchedTokensAsErrors = false;
        root.SetAction(async (parse, ct) =>
        {
            var modelDir = await ModelSource.ResolveAsync(parse.GetValue(model), ct);
            var app = WebApplication.CreateBuilder(parse.UnmatchedTokens.ToArray()).Build();
            app.MapGet("/health", () => Results.Ok(new { status = "ok", model = modelDir }));
            await app.RunAsync(ct);
            return 0;
        });
        return root;
    }
}
