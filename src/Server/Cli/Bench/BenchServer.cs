using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using MambaServe.Engine.Hosting;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.Cli.Bench;

/// <summary>
/// The real HTTP server in this process, on free loopback ports, serving a model the benchmark built: requests go
/// through Kestrel, the endpoints and the engine exactly as a client's would.
/// </summary>
public sealed class BenchServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BenchServer(WebApplication app, Uri address)
    {
        _app = app;
        Client = new HttpClient { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };
    }

    public HttpClient Client { get; }

    /// <param name="settings">Extra configuration (prefix cache off, state store options).</param>
    public static async Task<BenchServer> StartAsync(Func<ServedModel> load, IReadOnlyDictionary<string, string?>? settings = null)
    {
        int port = FreePort();
        var overrides = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["MambaServe:Server:Host"] = "127.0.0.1",
            ["MambaServe:Server:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["MambaServe:Server:GrpcPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Serilog:MinimumLevel:Override:Microsoft.Extensions.Diagnostics.HealthChecks"] = "Fatal",
        };
        var loader = new Loader(load);
        var app = ServerApp.Build([], overrides, services => services.AddSingleton<IModelLoader>(sp => loader.With(sp)));
        await app.StartAsync();
        var server = new BenchServer(app, new Uri($"http://127.0.0.1:{port}"));
        for (int i = 0; !(await server.Client.GetAsync("/health")).IsSuccessStatusCode; i++)
        {
            var failure = loader.Failure;
            if (failure is not null || i > 6000)
            {
                // A model that cannot load fails the benchmark with the loader's own exception, not a wait.
                await server.DisposeAsync();
                if (failure is not null) ExceptionDispatchInfo.Throw(failure);
                throw new TimeoutException("The benchmark server did not become ready.");
            }

            await Task.Delay(50);
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class Loader(Func<ServedModel> load) : IModelLoader
    {
        private IServiceProvider? _services;
        private Exception? _failure;

        /// <summary>What the load threw, if it failed.</summary>
        public Exception? Failure => Volatile.Read(ref _failure);

        public Loader With(IServiceProvider services)
        {
            _services = services;
            return this;
        }

        public async Task<IServedModel> LoadAsync(CancellationToken cancellationToken)
        {
            ServedModel model;
            try
            {
                model = await Task.Run(load, cancellationToken);
            }
            catch (Exception e)
            {
                Volatile.Write(ref _failure, e);
                throw;
            }

            var store = _services!.GetRequiredService<Microsoft.Extensions.Options.IOptions<Engine.Conversations.StateStoreOptions>>().Value;
            return new ServedModelAdapter(model, store);
        }
    }
}
