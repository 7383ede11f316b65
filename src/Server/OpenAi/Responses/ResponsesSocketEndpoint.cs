using MambaServe.Server.Hosting;
using MambaServe.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// GET /v1/responses with a WebSocket upgrade: OpenAI's WebSocket mode for the Responses API
/// (<see cref="ResponsesSocketSession"/>), which the official clients open with <c>responses.connect</c> or
/// <c>ResponsesWS</c>. The API key is checked on the upgrade, as for any route; a plain GET is a 426.
/// </summary>
public static class ResponsesSocketEndpoint
{
    public static async Task ConnectAsync(
        HttpContext http, ApiServices api, BackgroundResponses background, IHostApplicationLifetime lifetime, IOptions<ServerOptions> options,
        ServerTelemetry telemetry, ILoggerFactory loggers)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            throw new ApiException(426, "GET /v1/responses opens a WebSocket (OpenAI's WebSocket mode): connect with a WebSocket client, or POST /v1/responses.",
                ApiException.InvalidRequest, null, "websocket_upgrade_required");
        }

        var model = api.Models.Require(); // refused before the upgrade while the model loads or the server stops
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        var session = new ResponsesSocketSession(
            socket, api, background, api.OwnerOf(http), ResponseStore.Of(model), options.Value, telemetry,
            loggers.CreateLogger<ResponsesSocketSession>());
        telemetry.RecordSocket(+1);
        try
        {
            await session.RunAsync(lifetime.ApplicationStopping);
        }
        finally
        {
            telemetry.RecordSocket(-1);
        }
    }
}
