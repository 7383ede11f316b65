using MambaServe.Engine.Loading.Hub;
using Spectre.Console;

namespace MambaServe.Server.Cli;

/// <summary>
/// Turns the --model argument into a local checkpoint folder: nothing means the embedded default, an existing
/// folder is used as is, anything else is a Hugging Face hub id resolved through the local HF cache and downloaded
/// when missing (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE honoured), with a progress bar on stderr.
/// </summary>
public static class ModelSource
{
    /// <summary>The embedded default, copied beside the binary at build time.</summary>
    public static string EmbeddedDefault => Path.Combine(AppContext.BaseDirectory, "models", "mamba-demo-5m");

    /// <summary>The folder of <paramref name="model"/>, with the hub settings of the process environment; warnings go to stderr.</summary>
    public static async Task<string> ResolveAsync(string? model, CancellationToken ct) =>
        (await ResolveModelAsync(model, HubOptions.FromEnvironment(), w => Console.Error.WriteLine($"warning: {w}"), ct)).Directory;

    /// <summary>
    /// The folder of <paramref name="model"/> and the name to serve it under, as vLLM does: the hub id for a hub
    /// model (not its snapshot folder's commit hash), else the folder's name.
    /// </summary>
    /// <param name="warning">Told when an unreachable hub makes the resolver use its cache.</param>
    public static async Task<ResolvedModel> ResolveModelAsync(string? model, HubOptions hub, Action<string>? warning, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(model)) return Local(EmbeddedDefault);
        if (ShellPaths.Input(model) is var local && Directory.Exists(local)) return Local(Path.GetFullPath(local));

        var resolver = new HubModelResolver(hub, warning: warning);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var directory = await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .StartAsync(async ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new Progress<DownloadProgress>(p =>
                {
                    if (!tasks.TryGetValue(p.File, out var task))
                        tasks[p.File] = task = ctx.AddTask(p.File, maxValue: Math.Max(1, p.TotalBytes ?? 1));
                    if (p.TotalBytes is { } total) task.MaxValue = Math.Max(1, total);
                    task.Value = p.BytesDone;
                });
                return await resolver.ResolveAsync(model, progress, ct);
            });
        return new ResolvedModel(directory, model);
    }

    private static ResolvedModel Local(string directory) =>
        new(directory, Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)));
}
