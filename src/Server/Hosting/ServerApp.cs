using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace MambaServe.Server.Hosting;

/// <summary>
/// Builds the server: configuration (appsettings.json beside the binary, MambaServe__* environment variables, then the
/// command-line overrides, which win), services, Kestrel's two listeners (REST on HTTP/1.1, gRPC on HTTP/2 cleartext) and routes.
/// </summary>
public static class ServerApp
{
    /// <param name="services">Registrations applied after the server's own (the benchmarks serve models they build themselves).</param>
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? overrides = null, Action<IServiceCollection>? services = null)
    {
        // The content root is the binary's own folder, not the working directory: appsettings.json beside the
        // published binary (API keys included) applies wherever the server is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (overrides is { Count: > 0 })
        {
            builder.Configuration.AddInMemoryCollection(ReplacingLists(builder.Configuration, overrides));
        }

        // Explicit listeners replace ASPNETCORE_URLS and launch profiles: --port and --grpc-port always win. Read
        // through IOptions so that invalid settings fail validation with their name rather than deep inside Kestrel.
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ServerOptions>>((kestrel, server) =>
        {
            var options = server.Value;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            Listen(kestrel, options.Host, options.Port, HttpProtocols.Http1);
            Listen(kestrel, options.Host, options.GrpcPort, HttpProtocols.Http2);
        });

        ServerServices.Add(builder);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        ServerPipeline.Map(app);
        return app;
    }

    /// <summary>
    /// <paramref name="overrides"/>, where a list (keys <c>K:0</c>..<c>K:n-1</c>) replaces the configured list:
    /// configuration merges lists by index, so the configured entries from n on are blanked (and dropped when bound).
    /// </summary>
    public static Dictionary<string, string?> ReplacingLists(IConfiguration configured, IReadOnlyDictionary<string, string?> overrides)
    {
        var result = new Dictionary<string, string?>(overrides, StringComparer.OrdinalIgnoreCase);
        var lists = overrides.Keys
            .Select(k => (Key: k, Colon: k.LastIndexOf(':')))
            .Where(k => k.Colon > 0 && int.TryParse(k.Key.AsSpan(k.Colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
            .GroupBy(k => k.Key[..k.Colon], StringComparer.OrdinalIgnoreCase);
        foreach (var list in lists)
        {
            foreach (var child in configured.GetSection(list.Key).GetChildren())
            {
                result.TryAdd(child.Path, string.Empty);
            }
        }

        return result;
    }

    private static void Listen(KestrelServerOptions kestrel, string host, int port, HttpProtocols protocols)
    {
        Action<ListenOptions> configure = l => l.Protocols = protocols;
        if (host is "0.0.0.0" or "*" or "+")
        {
            kestrel.ListenAnyIP(port, configure);
        }
        else if (host is "localhost")
        {
            kestrel.ListenLocalhost(port, configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(host), port, configure);
        }
    }
}
