using MambaServe.Server.Grpc;
using MambaServe.Server.Health;
using MambaServe.Server.OpenAi;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.OpenAi.Completions;
using MambaServe.Server.OpenAi.Models;
using MambaServe.Server.OpenAi.Responses;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Serilog;

namespace MambaServe.Server.Hosting;

/// <summary>Middleware order and routes: errors outermost, then request logs, API keys, endpoints.</summary>
public static class ServerPipeline
{
    public static void Map(WebApplication app)
    {
        var server = app.Services.GetRequiredService<IOptions<ServerOptions>>().Value;
        app.UseSerilogRequestLogging(o => o.EnrichDiagnosticContext = (diagnostics, http) =>
            diagnostics.Set("RequestId", http.TraceIdentifier));
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();

        app.MapPost("/v1/completions", CompletionsEndpoint.HandleAsync);
        app.MapPost("/v1/chat/completions", ChatEndpoint.HandleAsync);
        app.MapPost("/v1/responses", ResponsesEndpoint.CreateAsync);
        app.MapGet("/v1/responses/{id}", ResponsesEndpoint.GetAsync);
        app.MapDelete("/v1/responses/{id}", ResponsesEndpoint.DeleteAsync);
        app.MapGet("/v1/models", ModelsEndpoint.ListAsync);
        app.MapGet("/v1/models/{id}", ModelsEndpoint.GetAsync);
        app.MapPost("/tokenize", TokenizeEndpoint.TokenizeAsync);
        app.MapPost("/detokenize", TokenizeEndpoint.DetokenizeAsync);
        app.MapHealthChecks(HealthRoutes.Ready, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ModelReadyHealthCheck.ReadyTag) });
        app.MapHealthChecks(HealthRoutes.Live, new HealthCheckOptions { Predicate = _ => false });
        app.MapPrometheusScrapingEndpoint(HealthRoutes.Metrics);

        var grpcServices = new[]
        {
            app.MapGrpcService<TextGenerationService>(),
            app.MapGrpcHealthChecksService(),
            app.MapGrpcReflectionService(),
        };
        if (server.RestrictGrpcToGrpcPort)
        {
            foreach (var service in grpcServices)
            {
                service.RequireHost($"*:{server.GrpcPort}");
            }
        }

        app.MapFallback(NotFound);
    }

    private static Task NotFound(HttpContext context) =>
        throw new ApiException(404, $"Not found: no route matches {context.Request.Method} {context.Request.Path}.", ApiException.InvalidRequest, null, "not_found");
}
