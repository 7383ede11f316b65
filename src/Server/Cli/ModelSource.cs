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

    public static async Task<string> ResolveAsync(string? model, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(model)) return EmbeddedDefault;
        if (Directory.Exists(model)) return Path.GetFullPath(model);

        var resolver = new HubModelResolver(HubOptions.FromEnvironment());
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
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
    }
}
