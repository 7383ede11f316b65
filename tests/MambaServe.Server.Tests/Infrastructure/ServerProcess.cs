using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>
/// The built server as users run it: <c>dotnet MambaServe.Server.dll</c> (the build output copied beside the tests,
/// with the embedded demo model) in its own process on free loopback ports, configured through MambaServe__*
/// environment variables. Keeps the console output for failure messages and collects every error line.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private const int KeptLines = 400;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private volatile bool _inError;

    private ServerProcess(Process process, int port, int grpcPort)
    {
        _process = process;
        Port = port;
        GrpcPort = grpcPort;
    }

    public int Port { get; }

    public int GrpcPort { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    /// <summary>Console lines logged at error or fatal level ([ERR], [FTL]) so far, with the exception lines after them.</summary>
    public IReadOnlyCollection<string> ErrorLines => _errors;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the server wrote, for failure messages.</summary>
    public string Tail => string.Join('\n', _tail);

    /// <summary>Starts the server with <paramref name="settings"/> (configuration keys, e.g. MambaServe:Model:MaxModelLen) and waits for /health.</summary>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string>? settings = null, TimeSpan? readyTimeout = null)
    {
        int port = FreePort(), grpcPort = FreePort();
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MambaServe.Server.dll"));
        start.Environment["MambaServe__Server__Host"] = "127.0.0.1";
        start.Environment["MambaServe__Server__Port"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment["MambaServe__Server__GrpcPort"] = grpcPort.ToString(CultureInfo.InvariantCulture);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var server = new ServerProcess(new Process { StartInfo = start }, port, grpcPort);
        server.Start();
        await server.WaitReadyAsync(readyTimeout ?? TimeSpan.FromMinutes(2));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Start()
    {
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _tail.Enqueue(line);
        while (_tail.Count > KeptLines && _tail.TryDequeue(out _))
        {
        }

        bool entry = line.StartsWith('[');
        if (entry && (line.Contains(" ERR]", StringComparison.Ordinal) || line.Contains(" FTL]", StringComparison.Ordinal)))
        {
            _errors.Enqueue(line);
            _inError = true;
        }
        else if (!entry && _inError && _errors.Count < 100)
        {
            // An exception's lines follow its entry.
            _errors.Enqueue("    " + line);
        }
        else if (entry)
        {
            _inError = false;
        }
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode} before it was ready:\n{Tail}");
            }

            try
            {
                using var response = await http.GetAsync("/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The server was not ready after {timeout}:\n{Tail}");
    }

    // The dotnet CLI tells child processes which host runs them; outside it, the one on PATH.
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
