namespace MambaServe.Server.Cli;

/// <summary>
/// Paths typed on the command line, taken relative to the shell's folder. `dotnet run --project src/Server` starts the
/// program in the project folder, so a relative path would otherwise be read against src/Server; the shell keeps its
/// folder in PWD. The program's own folder still wins where it holds the path (a path that worked before still does):
/// an input where the file or folder exists there, an output where its parent folder does.
/// </summary>
internal static class ShellPaths
{
    /// <summary>A file or folder to read.</summary>
    public static string Input(string path) => Resolve(path, Environment.GetEnvironmentVariable("PWD"), Exists);

    /// <summary>A file or folder to write.</summary>
    public static string Output(string path) => Resolve(path, Environment.GetEnvironmentVariable("PWD"), ParentExists);

    /// <summary>Several inputs.</summary>
    public static string[] Inputs(IEnumerable<string> paths) => [.. paths.Select(Input)];

    internal static string Resolve(string path, string? shellDir, Func<string, bool> found)
    {
        if (Path.IsPathRooted(path) || found(path) || string.IsNullOrEmpty(shellDir)) return path;
        var fromShell = Path.Combine(shellDir, path);
        return found(fromShell) ? fromShell : path;
    }

    internal static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

    internal static bool ParentExists(string path) =>
        Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(Path.TrimEndingDirectorySeparator(path))));
}
