namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>
/// A private copy of the server's build output in a temp folder, so a test can write an appsettings.json beside the
/// binary without touching the real one. Files are copied; folders (the native runtimes, hundreds of MB, and the
/// models) are linked.
/// </summary>
public sealed class ServerCopy : IDisposable
{
    public ServerCopy()
    {
        Folder = Directory.CreateTempSubdirectory("mambaserve-bin-").FullName;
        var source = AppContext.BaseDirectory;
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(Folder, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.EnumerateDirectories(source))
        {
            Directory.CreateSymbolicLink(Path.Combine(Folder, Path.GetFileName(dir)), dir);
        }
    }

    public string Folder { get; }

    public string ServerDll => Path.Combine(Folder, "MambaServe.Server.dll");

    public void Dispose()
    {
        try
        {
            // Links are removed, never followed: the real output folders stay.
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
