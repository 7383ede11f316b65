using MambaServe.Server.Grpc;
using MambaServe.Server.Health;
using MambaServe.Server.OpenAi;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.OpenAi.Completions;
using MambaServe.Server.OpenAi.Conversations;
using MambaServe.Server.OpenAi.Models;
using MambaServe.Server.OpenAi.Responses;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Events;

namespace MambaServe.Server.Hosting;

/// <summary>
/// Middleware order and routes: the request log outermost (one line per request, with the status the error middleware
/// chose), then errors, API keys, endpoints.
/// </summary>
public static class ServerPipeline
{
    public static void Map(WebApplication app)
    {
        var server = app.Services.GetRequiredService<IOptions<ServerOptions>>().Value;
        app.UseSerilogRequestLogging(o =>
        {
            // The host's own logger: the static Log.Logger stays silent (hosts keep their loggers, ServerServices).
            o.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
            o.MessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms, request {RequestId}";
            o.EnrichDiagnosticContext = (diagnostics, http) => diagnostics.Set("RequestId", http.TraceIdentifier);
            o.GetLevel = RequestLogLevel;
        });
        app.UseWebSockets(); // the Responses API's WebSocket mode (GET /v1/responses)
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseMiddleware<GrpcMessageValidationMiddleware>();

        app.MapPost("/v1/completions", CompletionsEndpoint.HandleAsync);
        app.MapPost("/v1/chat/completions", ChatEndpoint.HandleAsync);
        app.MapPost("/v1/responses", ResponsesEndpoint.CreateAsync);
        app.MapPost("/v1/responses/input_tokens", ResponseInputTokensEndpoint.CountAsync);
        app.MapGet("/v1/responses", ResponsesSocketEndpoint.ConnectAsync);
        app.MapGet("/v1/responses/{id}", ResponsesEndpoint.GetAsync);
        app.MapGet("/v1/responses/{id}/input_items", ResponsesEndpoint.GetInputItemsAsync);
        app.MapPost("/v1/responses/{id}/cancel", ResponsesEndpoint.CancelAsync);
        app.MapDelete("/v1/responses/{id}", ResponsesEndpoint.DeleteAsync);
        app.MapPost("/v1/conversations", ConversationsEndpoint.CreateAsync);
        app.MapGet("/v1/conversations/{id}", ConversationsEndpoint.GetAsync);
        app.MapPost("/v1/conversations/{id}", ConversationsEndpoint.UpdateAsync);
        app.MapDelete("/v1/conversations/{id}", ConversationsEndpoint.DeleteAsync);
        app.MapPost("/v1/conversations/{id}/items", ConversationsEndpoint.AddItemsAsync);
        app.MapGet("/v1/conversations/{id}/items", ConversationsEndpoint.ListItemsAsync);
        app.MapGet("/v1/conversations/{id}/items/{itemId}", ConversationsEndpoint.GetItemAsync);
        app.MapDelete("/v1/conversations/{id}/items/{itemId}", ConversationsEndpoint.DeleteItemAsync);
        app.MapPost("/v1/messages", Anthropic.MessagesEndpoint.CreateAsync);
        app.MapPost("/v1/messages/count_tokens", Anthropic.MessagesEndpoint.CountTokensAsync);
        app.MapGet("/v1/models", ModelsEndpoint.ListAsync);
        app.MapGet("/v1/models/{id}", ModelsEndpoint.GetAsync);
        app.MapPost("/invocations", OpenAi.Invocations.InvocationsEndpoint.HandleAsync);
        app.MapPost("/tokenize", TokenizeEndpoint.TokenizeAsync);
        app.MapPost("/detokenize", TokenizeEndpoint.DetokenizeAsync);
        var ready = new HealthCheckOptions { Predicate = c => c.Tags.Contains(ModelReadyHealthCheck.ReadyTag) };
        app.MapHealthChecks(HealthRoutes.Ready, ready);
        app.MapHealthChecks(HealthRoutes.Ping, ready);
        app.MapGet(HealthRoutes.Version, VersionEndpoint.Handle);
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

    /// <summary>
    /// Errors are server faults (5xx or an exception). A probe's 503 while the model loads is the state it asks about
    /// and any other 503 a temporary state (loading, stopping) that ModelHost logs once: neither is an error line.
    /// </summary>
    internal static LogEventLevel RequestLogLevel(HttpContext http, double elapsedMs, Exception? ex)
    {
        int status = http.Response.StatusCode;
        if (http.Request.Path.StartsWithSegments("/health"))
        {
            return ex is null ? LogEventLevel.Information : LogEventLevel.Error;
        }

        return ex is not null || status is >= 500 and not 503 ? LogEventLevel.Error
            : status == 503 ? LogEventLevel.Warning
            : LogEventLevel.Information;
    }

    private static Task NotFound(HttpContext context) =>
        throw new ApiException(404, $"Not found: no route matches {context.Request.Method} {context.Request.Path}.", ApiException.InvalidRequest, null, "not_found");
}
