using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>
/// The built server as a real process (<c>dotnet MambaServe.Server.dll</c>, copied beside the test binary by the
/// project reference) on free ports: what a user or a supervisor starts, signals and watches exit. Disposing kills
/// it if it still runs, so a failing test never leaves a server behind.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private ServerProcess(Process process, int port, int grpcPort)
    {
        _process = process;
        Port = port;
        GrpcPort = grpcPort;
    }

    /// <summary>The server dll of the test's own build output.</summary>
    public static string ServerDll => Path.Combine(AppContext.BaseDirectory, "MambaServe.Server.dll");

    public int Port { get; }

    public int GrpcPort { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    /// <summary>Every line written so far to stdout and stderr, in arrival order.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    public string Output => string.Join('\n', _lines);

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines written, for failure messages.</summary>
    public string Tail => string.Join('\n', Lines.TakeLast(400));

    /// <summary>Entries logged at error or fatal level ([ERR], [FTL]) so far, each with the exception lines after it.</summary>
    public IReadOnlyList<string> ErrorLines
    {
        get
        {
            var errors = new List<string>();
            bool inError = false;
            foreach (var line in Lines)
            {
                bool entry = line.StartsWith('[');
                if (entry)
                {
                    inError = line.Contains(" ERR]", StringComparison.Ordinal) || line.Contains(" FTL]", StringComparison.Ordinal);
                }

                if (inError)
                {
                    errors.Add(entry ? line : "    " + line);
                }
            }

            return errors;
        }
    }

    /// <summary>
    /// Starts the server (embedded demo model) with <paramref name="settings"/> as configuration keys
    /// (<c>MambaServe:Model:MaxModelLen</c>, set through MambaServe__* environment variables) and waits until it is healthy.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string> settings, CancellationToken ct = default)
    {
        var environment = settings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => (string?)s.Value);
        var server = Start([], environment: environment);
        try
        {
            using var http = await server.WaitHealthyAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts the server with <paramref name="args"/> plus <c>--host 127.0.0.1</c> and free <c>--port</c> /
    /// <c>--grpc-port</c> (unless <paramref name="addPorts"/> is false), in <paramref name="workingDirectory"/>
    /// (default: a fresh temp folder, never the binary's own).
    /// </summary>
    public static ServerProcess Start(
        IEnumerable<string> args, string? dll = null, string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null, bool addPorts = true)
    {
        int port = FreePort(), grpcPort = FreePort();
        var info = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.CreateTempSubdirectory("mambaserve-cwd-").FullName,
        };
        info.ArgumentList.Add(dll ?? ServerDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        if (addPorts)
        {
            foreach (var arg in new[] { "--host", "127.0.0.1", "--port", Invariant(port), "--grpc-port", Invariant(grpcPort) })
            {
                info.ArgumentList.Add(arg);
            }
        }

        // A developer's environment must not change what the test sees (hub, keys, environment name).
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MambaServe__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("HF_", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var server = new ServerProcess(process, port, grpcPort);
        process.OutputDataReceived += (_, e) => server.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => server.Collect(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits until <c>/health</c> answers 200; fails with the server's output if it exits first.</summary>
    public async Task<HttpClient> WaitHealthyAsync(CancellationToken ct)
    {
        var http = new HttpClient { BaseAddress = BaseAddress };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with {_process.ExitCode} before it was healthy:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync("/health", timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return http;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>The exit code; throws with the output if the process is still running after <paramref name="limit"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan limit, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"The server still runs after {limit}:\n{Output}");
        }

        // WaitForExitAsync returns once the output streams are drained too.
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as a supervisor (systemd, Kubernetes, docker stop) does.</summary>
    public void Terminate()
    {
        if (Kill(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }

        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private void Collect(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
