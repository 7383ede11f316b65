using System.Net;
using System.Net.Sockets;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>
/// Start-up failures end the real process with a non-zero exit code and one clear log line (no stack trace), so a
/// supervisor restarts or reports it: a model that cannot load, a hub that cannot be reached, a port already taken,
/// an unknown option.
/// </summary>
public sealed class StartupFailureProcessTests
{
    private static readonly TimeSpan ExitLimit = TimeSpan.FromMinutes(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_MissingModelFolder_ExitsNonZeroWithOneLine()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}", "model");

        await using var server = ServerProcess.Start(["--model", missing]);
        int exit = await server.WaitForExitAsync(ExitLimit, Ct);

        Assert.NotEqual(0, exit);
        AssertOneFailureLine(server, missing);
    }

    [Fact]
    public async Task Start_TruncatedWeights_ExitsNonZeroNamingTheFile()
    {
        var folder = Directory.CreateTempSubdirectory("mambaserve-corrupt-").FullName;
        foreach (var file in Directory.EnumerateFiles(TestPaths.Fixture("tiny-a")))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        var weights = Path.Combine(folder, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);

        await using var server = ServerProcess.Start(["--model", folder]);
        int exit = await server.WaitForExitAsync(ExitLimit, Ct);

        Assert.NotEqual(0, exit);
        AssertOneFailureLine(server, "model.safetensors");
    }

    [Fact]
    public async Task Start_HubUnresolvableAndNothingCached_ExitsNonZeroNamingTheHub()
    {
        var cache = Directory.CreateTempSubdirectory("mambaserve-hub-").FullName;
        var environment = new Dictionary<string, string?> { ["HF_ENDPOINT"] = "http://nonexistent.invalid", ["HF_HUB_CACHE"] = cache };

        await using var server = ServerProcess.Start(["--model", "test-org/not-cached"], environment: environment);
        int exit = await server.WaitForExitAsync(ExitLimit, Ct);

        Assert.NotEqual(0, exit);
        AssertOneFailureLine(server, "nonexistent.invalid");
    }

    [Fact]
    public async Task Start_DtypeTheCpuRunnerLacks_ExitsNonZeroSayingSo()
    {
        await using var server = ServerProcess.Start(["--model", TestPaths.Fixture("tiny-a"), "--dtype", "float16"]);
        int exit = await server.WaitForExitAsync(ExitLimit, Ct);

        Assert.NotEqual(0, exit);
        AssertOneFailureLine(server, "float16");
    }

    [Fact]
    public async Task Start_PortTaken_ExitsNonZeroWithOneLineAndNoStackTrace()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        await using var server = ServerProcess.Start(
            ["--model", TestPaths.Fixture("tiny-a"), "--host", "127.0.0.1", "--port", port,
             "--grpc-port", ServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture)],
            addPorts: false);
        int exit = await server.WaitForExitAsync(ExitLimit, Ct);

        Assert.NotEqual(0, exit);
        AssertOneFailureLine(server, $"127.0.0.1:{port}");
        Assert.Contains("address already in use", server.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--prot", "--port")]
    [InlineData("--max-model-le", "--max-model-len")]
    public async Task Start_UnknownOption_ExitsTwoSuggestingTheOption(string typo, string suggestion)
    {
        await using var server = ServerProcess.Start([typo, "9000"]);
        int exit = await server.WaitForExitAsync(ExitLimit, Ct);

        Assert.Equal(2, exit);
        var line = Assert.Single(server.Lines, l => l.Contains(typo + "'", StringComparison.Ordinal));
        Assert.Contains($"did you mean {suggestion}", line, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Lines, l => l.Contains("listening", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Exactly one fatal line, naming <paramref name="mention"/>; no stack trace anywhere.</summary>
    private static void AssertOneFailureLine(ServerProcess server, string mention)
    {
        var failures = server.Lines.Where(l => l.Contains(" FTL]", StringComparison.Ordinal) || l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(failures);
        Assert.Contains(mention, line, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }
}
