using MambaServe.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace MambaServe.Server.Hosting;

/// <summary>What every API handler (REST and gRPC) needs, in one injectable singleton.</summary>
public sealed class ApiServices(ModelHost models, ServerTelemetry telemetry, IOptions<ModelOptions> model, IOptions<ServerOptions> server, ILoggerFactory loggers)
{
    private readonly ILogger _requestLogger = loggers.CreateLogger("MambaServe.Server.Requests");

    public ModelHost Models => models;

    public ModelOptions ModelOptions => model.Value;

    public ServerOptions ServerOptions => server.Value;

    public GenerationRunContext RunContext(IServedModel served, string requestId, string operation) =>
        new(served, requestId, operation, telemetry, _requestLogger, server.Value.LogPrompts);

    /// <summary>Whose stored responses and conversations a REST request may see: its API key's (<see cref="ConversationOwner"/>).</summary>
    public string OwnerOf(HttpContext http) => ConversationOwner.Of(http.Request.Headers.Authorization, ServerOptions);

    /// <summary>Checks n and the choice count against the server's limit (400 on "n").</summary>
    public int CheckChoices(int? n, int prompts)
    {
        int value = n ?? 1;
        if (value < 1)
        {
            throw OpenAi.ApiException.BadRequest("n must be at least 1.", "n");
        }

        if ((long)value * prompts > ServerOptions.MaxChoices)
        {
            throw OpenAi.ApiException.BadRequest($"n times the number of prompts must be at most {ServerOptions.MaxChoices}.", "n");
        }

        return value;
    }
}
