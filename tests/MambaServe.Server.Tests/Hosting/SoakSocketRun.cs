using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>
/// The soak's Responses WebSocket requests: a socket of its own, two unstored turns, the second continuing the first by
/// <c>previous_response_id</c> from the state the socket holds. A turn must end with its last event (an error event,
/// a lost unstored response included, is a failure); a cancelled plan aborts the socket mid-turn, and a dropped one
/// closes it after the first event, so the server sees clients leave sockets every way they can.
/// </summary>
internal static class SoakSocketRun
{
    public static async Task<string?> RunAsync(Uri baseAddress, string prompt, int maxTokens, string temperature, bool dropAfterFirstEvent, CancellationToken ct)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{baseAddress.Authority}/v1/responses"), ct);
        string? previous = null;
        for (int turn = 0; turn < 2; turn++)
        {
            string continues = previous is null ? string.Empty : $",\"previous_response_id\":\"{previous}\"";
            var create = $"{{\"type\":\"response.create\",\"input\":\"{prompt}\",\"max_output_tokens\":{maxTokens},\"temperature\":{temperature},\"store\":false{continues}}}";
            await socket.SendAsync(Encoding.UTF8.GetBytes(create), WebSocketMessageType.Text, true, ct);
            while (true)
            {
                var message = await ResponsesSocket.ReceiveMessageAsync(socket, ct);
                if (message is null)
                {
                    return $"the server closed the socket ({socket.CloseStatus} {socket.CloseStatusDescription}) in turn {turn}";
                }

                if (dropAfterFirstEvent)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                    return null;
                }

                using var item = JsonDocument.Parse(message);
                var root = item.RootElement;
                string? type = root.GetProperty("type").GetString();
                if (type is "error" or "response.failed")
                {
                    return $"{type} in turn {turn}: {root.GetRawText()}";
                }

                if (type is "response.completed" or "response.incomplete")
                {
                    previous = root.GetProperty("response").GetProperty("id").GetString();
                    break;
                }
            }
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct);
        return null;
    }
}
