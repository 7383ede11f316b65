namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>The repository checkout the tests were built from: the nearest folder above the test binary holding MambaServe.sln.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MambaServe.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No MambaServe.sln above {AppContext.BaseDirectory}.");
    }
}
