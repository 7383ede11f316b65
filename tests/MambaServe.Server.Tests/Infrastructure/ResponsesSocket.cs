using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>A client of the Responses WebSocket (GET /v1/responses upgraded) on the in-process server, reading JSON events.</summary>
internal sealed class ResponsesSocket(WebSocket socket) : IAsyncDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    public WebSocket Socket => socket;

    public static async Task<ResponsesSocket> ConnectAsync<T>(WebApplicationFactory<T> factory, string? apiKey = null)
        where T : class
    {
        var client = factory.Server.CreateWebSocketClient();
        if (apiKey is not null)
        {
            client.ConfigureRequest = request => request.Headers.Authorization = $"Bearer {apiKey}";
        }

        return new ResponsesSocket(await client.ConnectAsync(new Uri(factory.Server.BaseAddress, "/v1/responses"), CancellationToken.None));
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public Task SendAsync(object body) => SendAsync(System.Text.Json.JsonSerializer.Serialize(body));

    public async Task SendAsync(byte[] bytes, WebSocketMessageType type)
    {
        using var timeout = new CancellationTokenSource(s_wait);
        await socket.SendAsync(bytes, type, endOfMessage: true, timeout.Token);
    }

    /// <summary>The next event; null when the server closed the socket.</summary>
    public async Task<JsonNode?> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(s_wait);
        return await ReceiveMessageAsync(socket, timeout.Token) is { } message ? JsonNode.Parse(message) : null;
    }

    /// <summary>The next whole message on any socket; null when the other side closed it.</summary>
    public static async Task<byte[]?> ReceiveMessageAsync(WebSocket socket, CancellationToken ct)
    {
        var message = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return message.ToArray();
            }
        }
    }

    /// <summary>Sends one response.create and reads its events up to its last (or the error event that answers it).</summary>
    public async Task<List<JsonNode>> TurnAsync(object body)
    {
        await SendAsync(body);
        return await ReadResponseAsync();
    }

    /// <summary>The events up to the next response's last (or the error event that answers its create).</summary>
    public async Task<List<JsonNode>> ReadResponseAsync()
    {
        var events = new List<JsonNode>();
        while (await ReceiveAsync() is { } item)
        {
            events.Add(item);
            if ((string?)item["type"] is "error" or "response.completed" or "response.incomplete" or "response.failed")
            {
                return events;
            }
        }

        throw new InvalidOperationException("The server closed the socket mid-response.");
    }

    public async ValueTask DisposeAsync()
    {
        if (socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(s_wait);
            try
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The server went first.
            }
        }

        socket.Dispose();
    }
}
