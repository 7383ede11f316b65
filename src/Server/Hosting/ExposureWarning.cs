using System.Net;
using Microsoft.Extensions.Options;

namespace MambaServe.Server.Hosting;

/// <summary>
/// Warns at start when the server listens beyond loopback without API keys: anyone who can reach the port can
/// generate. Loopback (the default, 127.0.0.1) is quiet, and so is any address once keys are set.
/// </summary>
/// <remarks>
/// Logged from <see cref="IHostedLifecycleService.StartedAsync"/>: the host calls it after every hosted service has
/// started (Kestrel listens by then) and before it signals ApplicationStarted. A callback on ApplicationStarted ran
/// after whoever else waited on that signal (callbacks run last-registered first), so a host started by a test could
/// return before the warning was written.
/// </remarks>
public sealed partial class ExposureWarning(IOptions<ServerOptions> server, ILoggerFactory loggers) : IHostedLifecycleService
{
    private readonly ILogger logger = loggers.CreateLogger("MambaServe.Server");

    /// <summary>True when <see cref="ServerOptions.Host"/> is not a loopback address and no API key is configured.</summary>
    public static bool IsExposed(ServerOptions server) =>
        server.ApiKeys.Length == 0
        && !(server.Host == "localhost" || (IPAddress.TryParse(server.Host, out var address) && IPAddress.IsLoopback(address)));

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var options = server.Value;
        if (IsExposed(options))
        {
            LogOpenApi(logger, options.Host, options.Port, options.GrpcPort);
        }

        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "Listening on {Host} (ports {Port} and {GrpcPort}) without API keys: anyone who can reach this machine can use the API. " +
        "Set --api-key (MambaServe:Server:ApiKeys), or bind --host 127.0.0.1")]
    private static partial void LogOpenApi(ILogger logger, string host, int port, int grpcPort);
}
