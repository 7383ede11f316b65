using System.CommandLine;
using MambaServe.Server.Cli.Bench;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.Cli;

/// <summary>
/// The program's commands: no subcommand serves (REST + gRPC); `generate` streams a completion to stdout; `bench`
/// measures. Parsing is strict: an unknown option or stray argument is an error with a suggestion, except
/// configuration overrides (<c>--Section:Key=value</c>), which go to the host's configuration. The named serve
/// options (<see cref="ServeSettings"/>) win over those, over MambaServe__* environment variables and over
/// appsettings.json.
/// </summary>
public static class CommandLine
{
    /// <summary>Exit code of a command line that cannot be run (argparse's, so vLLM's, too).</summary>
    public const int UsageError = 2;

    private const string Summary =
        "MambaServe: an inference server for Mamba language models. Without a command it serves the OpenAI-compatible " +
        "REST API and gRPC. Every setting can also be given in appsettings.json beside the binary, as an environment " +
        "variable (MambaServe__Scheduler__PrefillChunkSize=256) or on this command line as --Section:Key=value " +
        "(--MambaServe:Scheduler:PrefillChunkSize=256); the options below win over all of those. " +
        "The settings are listed in README.md and docs/server.md.";

    /// <summary>Parses <paramref name="args"/> and runs the command; <paramref name="serve"/> replaces the server (tests).</summary>
    public static async Task<int> RunAsync(
        string[] args, Func<ServeRequest, CancellationToken, Task<int>>? serve = null, TextWriter? output = null, TextWriter? error = null)
    {
        error ??= Console.Error;
        var split = ConfigurationArguments.Separate(args);
        var root = Build(split.Configuration, serve ?? ServerRunner.RunAsync);
        var parse = root.Parse(split.Rest.ToArray());
        var problems = split.Errors.Concat(UnknownTokens.Describe(parse)).Concat(UnknownTokens.OtherErrors(parse)).ToList();
        if (split.Configuration.Count > 0 && parse.CommandResult.Command != root)
        {
            problems.Add($"configuration overrides such as {split.Configuration[0]} apply to serve only, not `{parse.CommandResult.Command.Name}`.");
        }

        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await error.WriteLineAsync($"error: {problem}");
            }

            await error.WriteLineAsync($"Run `{RootName} {(parse.CommandResult.Command == root ? "" : parse.CommandResult.Command.Name + " ")}--help` for the options.");
            return UsageError;
        }

        // Signals are the host's: it stops gracefully (ShutdownGracePeriod), which a 2-second kill would cut short.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null, Output = output ?? Console.Out, Error = error };
        return await parse.InvokeAsync(invocation);
    }

    private static string RootName => Path.GetFileNameWithoutExtension(Environment.GetCommandLineArgs()[0]);

    private static RootCommand Build(IReadOnlyList<string> configuration, Func<ServeRequest, CancellationToken, Task<int>> serve)
    {
        var settings = ServeSettings.Create();
        var root = new RootCommand(Summary);
        foreach (var setting in settings)
        {
            root.Options.Add(setting.Option);
        }

        var model = (Option<string?>)settings.Single(s => s.Key == $"{ModelOptions.Section}:Path").Option;
        var device = (Option<string?>)settings.Single(s => s.Key == $"{ModelOptions.Section}:Device").Option;
        root.Subcommands.Add(GenerateCommand.Create(model, device));
        root.Subcommands.Add(BenchCommand.Create(model, device));
        root.SetAction((parse, ct) =>
        {
            var overrides = settings.SelectMany(s => s.Read(parse)).ToDictionary(kv => kv.Key, kv => kv.Value);
            return serve(new ServeRequest([.. configuration], overrides), ct);
        });
        return root;
    }
}
