using System.Net;
using Microsoft.Extensions.Options;

namespace MambaServe.Server.Hosting;

/// <summary>
/// Warns at start when the server listens beyond loopback without API keys: anyone who can reach the port can
/// generate. Loopback (the default, 127.0.0.1) is quiet, and so is any address once keys are set.
/// </summary>
public static partial class ExposureWarning
{
    public static void Register(WebApplication app)
    {
        var server = app.Services.GetRequiredService<IOptions<ServerOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MambaServe.Server");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (IsExposed(server))
            {
                LogOpenApi(logger, server.Host, server.Port, server.GrpcPort);
            }
        });
    }

    /// <summary>True when <see cref="ServerOptions.Host"/> is not a loopback address and no API key is configured.</summary>
    public static bool IsExposed(ServerOptions server) =>
        server.ApiKeys.Length == 0
        && !(server.Host == "localhost" || (IPAddress.TryParse(server.Host, out var address) && IPAddress.IsLoopback(address)));

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "Listening on {Host} (ports {Port} and {GrpcPort}) without API keys: anyone who can reach this machine can use the API. " +
        "Set --api-key (MambaServe:Server:ApiKeys), or bind --host 127.0.0.1")]
    private static partial void LogOpenApi(ILogger logger, string host, int port, int grpcPort);
}
