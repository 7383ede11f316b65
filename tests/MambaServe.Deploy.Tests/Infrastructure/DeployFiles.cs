namespace MambaServe.Deploy.Tests.Infrastructure;

/// <summary>The repository's deploy/ folder and the server's appsettings.json, as copied beside the test binary.</summary>
public static class DeployFiles
{
    public static string Root => System.IO.Path.Combine(AppContext.BaseDirectory, "deploy");

    public static string ServerAppSettings => System.IO.Path.Combine(AppContext.BaseDirectory, "server", "appsettings.json");

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(Path(parts));
}
