namespace MambaServe.Server.Cli;

/// <summary>Turns the --model argument (folder, hub id, or nothing) into a local checkpoint folder.</summary>
public static class ModelSource
{
    /// <summary>The embedded default, copied beside the binary at build time.</summary>
    public static string EmbeddedDefault => Path.Combine(AppContext.BaseDirectory, "models", "mamba-demo-5m");

    public static Task<string> ResolveAsync(string? model, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(model)) return Task.FromResult(EmbeddedDefault);
        return Task.FromResult(Path.GetFullPath(model));
    }
}
