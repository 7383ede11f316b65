using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>
/// Runs an official client's script (npm, Python) against the server as a user would reach it: the app on the demo
/// model on a free loopback port, the script a separate process given the base URL and the model id, printing one JSON
/// line of what it saw as its last line.
/// </summary>
public static class ClientScripts
{
    public const string Model = "mamba-demo-5m";

    /// <summary>Starts the server (with <paramref name="settings"/> over small limits), runs <paramref name="client"/> with its base URL, and returns its last line as JSON.</summary>
    public static async Task<JsonNode> OnDemoServerAsync(Func<string, Task<string>> client, IReadOnlyDictionary<string, string?>? settings = null)
    {
        int port = ServerProcess.FreePort();
        var app = ServerApp.Build([], new Dictionary<string, string?>
        {
            ["MambaServe:Server:Host"] = "127.0.0.1",
            ["MambaServe:Server:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["MambaServe:Server:GrpcPort"] = ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["MambaServe:Model:Path"] = TestPaths.DemoModel,
            ["MambaServe:Model:Threads"] = "1",
            ["MambaServe:StatePool:SlotCount"] = "2",
            ["MambaServe:Scheduler:MaxRunningSequences"] = "2",
        }.Concat(settings ?? new Dictionary<string, string?>()).ToDictionary());
        await using (app)
        {
            await app.StartAsync();
            string baseUrl = $"http://127.0.0.1:{port}";
            using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
            await WaitReadyAsync(http);
            var output = await client(baseUrl);
            await app.StopAsync();
            return JsonNode.Parse(output.Trim().Split('\n')[^1])!;
        }
    }

    /// <summary>Runs <paramref name="file"/> to its end within <paramref name="limit"/>; its standard output, or a failure with its standard error.</summary>
    public static async Task<string> RunAsync(string file, string arguments, string workingDirectory, TimeSpan limit)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} did not finish within {limit}.");
        }

        Assert.True(process.ExitCode == 0, $"{file} {arguments} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    public static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Any(directory => directory.Length > 0 && File.Exists(Path.Combine(directory, name)));

    /// <summary>Waits until an in-process app's <c>/health</c> answers 200 (its model loaded), within a minute.</summary>
    public static async Task WaitReadyAsync(HttpClient http)
    {
        for (int i = 0; i < 1200; i++)
        {
            if ((await http.GetAsync("/health")).IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("The server did not become ready.");
    }
}
