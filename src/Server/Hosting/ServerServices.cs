using MambaServe.Engine.Conversations;
using MambaServe.Engine.Loading.Hub;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.State;
using MambaServe.Engine.Telemetry;
using MambaServe.Server.Grpc;
using MambaServe.Server.Health;
using MambaServe.Server.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Serilog;

namespace MambaServe.Server.Hosting;

/// <summary>The composition root's service registrations: options, model host, telemetry, logging, gRPC, health.</summary>
public static class ServerServices
{
    public const string SchedulerSection = "MambaServe:Scheduler";
    public const string StatePoolSection = "MambaServe:StatePool";

    /// <summary>Time beyond the grace period for the last engine step, the final chunks and Kestrel's drain.</summary>
    public static readonly TimeSpan ShutdownMargin = TimeSpan.FromSeconds(10);

    public static void Add(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var config = builder.Configuration;
        AddSettings(services, config);

        // The host's shutdown timeout bounds StoppingAsync too: it must leave the engine its whole grace period.
        services.AddOptions<HostOptions>().Configure<IOptions<SchedulerOptions>>((host, scheduler) =>
            host.ShutdownTimeout = scheduler.Value.ShutdownGracePeriod + ShutdownMargin);

        services.TryAddSingleton(_ => HubOptions.FromEnvironment());
        services.AddSingleton(sp => SchedulerSettingsGiven.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<IModelLoader, ServedModelLoader>();
        services.AddSingleton<ModelHost>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());
        // After the model host: stopped before the model is disposed, so running background responses store their outcome.
        services.AddSingleton<OpenAi.Responses.BackgroundResponses>();
        services.AddHostedService(sp => sp.GetRequiredService<OpenAi.Responses.BackgroundResponses>());
        services.AddHostedService<ExposureWarning>();
        services.AddSingleton<ServerTelemetry>();
        services.AddSingleton(sp => new EngineMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton<ApiServices>();

        // preserveStaticLogger: each host keeps its own logger instead of sharing the static Log.Logger, which
        // the last host built would otherwise own (several hosts live side by side in tests).
        services.AddSerilog(
            (sp, logger) => logger
                .ReadFrom.Configuration(config)
                .ReadFrom.Services(sp)
                .Enrich.FromLogContext()
                // Start-up failures that ServerRunner reports in one line: not again as Kestrel's and the host's traces.
                .Filter.ByExcluding(e => StartupFailure.Describe(e.Exception) is not null)
                .Filter.ByExcluding(StartupFailure.IsCancelledStart)
                // A model that is loading is not an error: the health service would log one for every probe.
                .Filter.ByExcluding(ModelReadyHealthCheck.IsLoadingProbe)
                .WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture),
            preserveStaticLogger: true);

        AddTelemetry(services, config);

        services.AddGrpc(o =>
        {
            o.Interceptors.Add<GrpcApiKeyInterceptor>();
            o.Interceptors.Add<GrpcErrorInterceptor>();
        });
        services.AddGrpcReflection();
        services.AddHealthChecks().AddCheck<ModelReadyHealthCheck>("model", tags: [ModelReadyHealthCheck.ReadyTag]);
        // grpc.health.v1 answers for the server ("") and for each API service by name, as gRPC clients and probes ask.
        services.AddGrpcHealthChecks(o =>
        {
            o.Services.Map(string.Empty, c => c.Tags.Contains(ModelReadyHealthCheck.ReadyTag));
            o.Services.Map(Grpc.V1.TextGeneration.Descriptor.FullName, c => c.Tags.Contains(ModelReadyHealthCheck.ReadyTag));
        });
    }

    private static void AddSettings(IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<ModelOptions>().Bind(config.GetSection(ModelOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ServerOptions>().Bind(config.GetSection(ServerOptions.Section))
            // A blank key would let "Bearer " in; blanks also pad a list that --api-key shortened (ServerApp).
            .PostConfigure(o => o.ApiKeys = o.ApiKeys.Where(k => !string.IsNullOrWhiteSpace(k)).ToArray())
            .ValidateDataAnnotations()
            .Validate(o => o.Port != o.GrpcPort, "MambaServe:Server:Port and GrpcPort must differ (REST is HTTP/1.1, gRPC HTTP/2).")
            .Validate(o => o.Host is "localhost" or "*" or "+" || System.Net.IPAddress.TryParse(o.Host, out _),
                "MambaServe:Server:Host must be an IP address, localhost or * (any address).")
            .Validate(o => o.ToolCallParser is null || OpenAi.Chat.ToolCallParsers.IsKnown(o.ToolCallParser),
                $"MambaServe:Server:ToolCallParser (--tool-call-parser) must be {OpenAi.Chat.ToolCallParsers.NamesText}.")
            .Validate(o => !o.EnableAutoToolChoice || o.ToolCallParser is not null,
                $"MambaServe:Server:EnableAutoToolChoice (--enable-auto-tool-choice) needs ToolCallParser (--tool-call-parser {OpenAi.Chat.ToolCallParsers.NamesText}).")
            .ValidateOnStart();
        services.AddOptions<SchedulerOptions>().Bind(config.GetSection(SchedulerSection)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SchedulerOptions>>(new ArgumentCheckValidator<SchedulerOptions>(SchedulerSection, o => o.Validate()));
        services.AddOptions<StateStoreOptions>().Bind(config.GetSection(StateStoreOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StateStoreOptions>>(new ArgumentCheckValidator<StateStoreOptions>(StateStoreOptions.Section, o => o.Validate()));
        services.AddOptions<StatePoolOptions>().Bind(config.GetSection(StatePoolSection))
            .Validate(o => o.SlotCount is null or >= 1 && o.MemoryBudgetBytes is null or > 0 && o.SlotLimit is null or >= 1, "Invalid MambaServe:StatePool settings.").ValidateOnStart();
    }

    private static void AddTelemetry(IServiceCollection services, IConfiguration config)
    {
        // OTEL_EXPORTER_OTLP_ENDPOINT (environment or any configuration source) turns on OTLP export of traces and metrics.
        bool otlp = !string.IsNullOrWhiteSpace(config["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(TelemetryNames.ProviderName))
            .WithMetrics(m =>
            {
                m.AddMeter(ServerTelemetry.MeterName, TelemetryNames.EngineMeter).AddAspNetCoreInstrumentation()
                    // No scrape cache: a request is counted in the very next scrape.
                    .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp)
                {
                    m.AddOtlpExporter();
                }
            })
            .WithTracing(t =>
            {
                t.AddSource(ServerTelemetry.ActivitySourceName).AddAspNetCoreInstrumentation();
                if (otlp)
                {
                    t.AddOtlpExporter();
                }
            });
    }
}
