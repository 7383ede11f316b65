using System.Text.Json;
using MambaServe.Server.Cli;
using MambaServe.Server.Cli.Bench.Gpu;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Cli;

/// <summary>
/// Relative paths on the command line are the shell's (PWD), as `dotnet run --project src/Server` starts the program
/// in the project folder; the program's own folder still wins where it holds the path.
/// </summary>
public sealed class ShellPathsTests
{
    [Fact]
    public void Input_OnlyUnderTheShell_TakenFromTheShell()
    {
        var shell = Directory.CreateTempSubdirectory("mambaserve-shell-").FullName;
        var name = $"report-{Guid.NewGuid():N}.json";
        File.WriteAllText(Path.Combine(shell, name), "{}");

        Assert.Equal(Path.Combine(shell, name), ShellPaths.Resolve(name, shell, ShellPaths.Exists));
    }

    [Fact]
    public void Input_InTheProgramsFolder_KeptAsTyped()
    {
        var shell = Directory.CreateTempSubdirectory("mambaserve-shell-").FullName;
        var name = $"here-{Guid.NewGuid():N}.json";
        File.WriteAllText(name, "{}");
        File.WriteAllText(Path.Combine(shell, name), "{}");
        try
        {
            Assert.Equal(name, ShellPaths.Resolve(name, shell, ShellPaths.Exists));
        }
        finally
        {
            File.Delete(name);
        }
    }

    [Fact]
    public void Output_ParentOnlyUnderTheShell_TakenFromTheShell()
    {
        var shell = Directory.CreateTempSubdirectory("mambaserve-shell-").FullName;
        var folder = $"out-{Guid.NewGuid():N}";
        Directory.CreateDirectory(Path.Combine(shell, folder));
        var path = Path.Combine(folder, "chart.png");

        Assert.Equal(Path.Combine(shell, path), ShellPaths.Resolve(path, shell, ShellPaths.ParentExists));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void NoShellFolder_KeptAsTyped(string? shell) =>
        Assert.Equal("missing/x.json", ShellPaths.Resolve("missing/x.json", shell, ShellPaths.Exists));

    [Fact]
    public void Rooted_KeptAsTyped()
    {
        var rooted = Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}", "x.json");
        Assert.Equal(rooted, ShellPaths.Resolve(rooted, Path.GetTempPath(), ShellPaths.Exists));
    }

    // The real program, started elsewhere than the shell's folder (as `dotnet run --project` does): `bench plot` reads
    // the report and writes the chart by the paths the user typed, relative to PWD.
    [Fact]
    public async Task BenchPlot_RelativePaths_ReadAndWrittenUnderTheShellsFolder()
    {
        var shell = Directory.CreateTempSubdirectory("mambaserve-shell-").FullName;
        Directory.CreateDirectory(Path.Combine(shell, "charts"));
        var report = new GpuBenchReport(DateTimeOffset.UnixEpoch, "ckpt", 2_768_345_600, 5_536_691_200,
        [
            new GpuBenchRun("bf16", "test device", 1.0, 1, 1, [new DecodeFigure(1, 2.0, 2.0, 500)], [],
                [new SeedFigure(1, 1024, 1024, 2.0, 10_000_000_000), new SeedFigure(32, 1024, 1024, 3.5, 10_000_000_000)]),
        ]);
        await File.WriteAllTextAsync(Path.Combine(shell, "report.json"),
            JsonSerializer.Serialize(report, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));

        await using var program = ServerProcess.Start(["bench", "plot", "--report", "report.json", "--png", "charts/seed.png"],
            environment: new Dictionary<string, string?> { ["PWD"] = shell }, addPorts: false);
        int exit = await program.WaitForExitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.True(exit == 0, program.Tail);
        Assert.True(new FileInfo(Path.Combine(shell, "charts", "seed.png")).Length > 0, program.Tail);
    }
}
