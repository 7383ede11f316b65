namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>Where the copied fixtures and the demo model sit next to the test binary.</summary>
public static class TestPaths
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    public static string DemoModel => Path.Combine(AppContext.BaseDirectory, "models", "mamba-demo-5m");
}
