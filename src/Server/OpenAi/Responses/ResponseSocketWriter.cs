using System.Net.WebSockets;
using System.Text.Json;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// Sends a Responses WebSocket's server events: one text message of JSON each, the objects SSE carries without its
/// framing. Sends are serialised (a socket takes one at a time): a response's events and an error answering a message
/// that arrived meanwhile may come from two tasks.
/// </summary>
public sealed class ResponseSocketWriter(WebSocket socket)
{
    private readonly SemaphoreSlim _sending = new(1, 1);
    private int _closing;

    public async Task SendAsync<T>(T value, CancellationToken ct = default)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, OpenAiJson.Options);
        await _sending.WaitAsync(ct);
        try
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>
    /// An error event: <c>{"type": "error", "status", "error": {"message", "type", "param", "code"}}</c>, the status and
    /// body the same request would get over HTTP. A socket that has closed meanwhile is left as it is.
    /// </summary>
    public async Task SendErrorAsync(ApiException error)
    {
        if (socket.State != WebSocketState.Open)
        {
            return;
        }

        try
        {
            await SendAsync(new ResponseSocketError("error", error.Status, ErrorBody.From(error).Error));
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away while its error was on the way: nothing is left to tell.
        }
    }

    /// <summary>Sends the close frame, once, after any send under way, if the socket is still open for sending.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string? description)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _sending.WaitAsync(timeout.Token);
            try
            {
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await socket.CloseOutputAsync(status, description, timeout.Token);
                }
            }
            finally
            {
                _sending.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client is gone already.
        }
    }

    /// <summary>
    /// A stream of one response's events, numbered from 0 as an SSE stream's are. <paramref name="lastEvent"/> runs
    /// just before the response's last event goes out: once a client can see it, the socket takes the next turn;
    /// <paramref name="dropped"/> when a send fails because the connection is gone.
    /// </summary>
    public IResponseEventSink Events(Action lastEvent, Action dropped) => new ResponseEvents(this, lastEvent, dropped);

    private sealed class ResponseEvents(ResponseSocketWriter writer, Action lastEvent, Action dropped) : IResponseEventSink
    {
        private int _sequence;

        public async Task WriteAsync<T>(Func<int, T> build)
            where T : ResponseStreamEvent
        {
            var value = build(_sequence++);
            if (value.Type is "response.completed" or "response.incomplete" or "response.failed")
            {
                lastEvent();
            }

            try
            {
                await writer.SendAsync(value);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
            {
                dropped();
                throw;
            }
        }
    }
}

/// <summary>The error event of a Responses WebSocket.</summary>
public sealed record ResponseSocketError(string Type, int Status, ErrorDetail Error);
