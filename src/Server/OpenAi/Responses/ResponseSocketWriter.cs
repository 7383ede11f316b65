using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// Sends a Responses WebSocket's server events: one text message of JSON each, the objects SSE carries without its
/// framing. Sends are serialised (a socket takes one at a time): the responses of several lanes and an error answering a
/// message that arrived meanwhile may come from several tasks. Everything sent for a lane's response carries its
/// <c>stream_id</c>, which the clients route by.
/// </summary>
public sealed class ResponseSocketWriter(WebSocket socket)
{
    private readonly SemaphoreSlim _sending = new(1, 1);
    // Held while answers to a client's message are decided and sent, and while a response's last event is: a steer
    // accepted because its response still ran is on the wire before that response's end.
    private readonly SemaphoreSlim _deciding = new(1, 1);
    private int _closing;

    public async Task SendAsync(object value, CancellationToken ct = default)
    {
        // By the runtime type: a response's events come as their base type once stamped with their lane.
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), OpenAiJson.Options);
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
    /// body the same request would get over HTTP, and the <c>stream_id</c> of the lane it answers for. A socket that has
    /// closed meanwhile is left as it is.
    /// </summary>
    public Task SendErrorAsync(ApiException error, string? streamId) =>
        SendAnswerAsync(new ResponseSocketError("error", error.Status, ErrorBody.From(error).Error) { StreamId = streamId });

    /// <summary>An event that answers a client's message by itself (an error, a refused steer); a socket closed meanwhile is left as it is.</summary>
    public async Task SendAnswerAsync(object answer)
    {
        if (socket.State != WebSocketState.Open)
        {
            return;
        }

        try
        {
            await SendAsync(answer);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away while its answer was on the way: nothing is left to tell.
        }
    }

    /// <summary>
    /// Decides the answers to a client's message (<paramref name="decide"/>) and sends them, with no response's last
    /// event in between: what was decided about a running response reaches the client before that response's end.
    /// </summary>
    public async Task SendAnswersAsync(Func<IReadOnlyList<object>> decide)
    {
        await _deciding.WaitAsync();
        try
        {
            foreach (var answer in decide())
            {
                await SendAnswerAsync(answer);
            }
        }
        finally
        {
            _deciding.Release();
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
    /// A stream of one response's events on the lane <paramref name="streamId"/>, numbered from 0 as an SSE stream's are.
    /// <paramref name="lastEvent"/> runs just before the response's last event goes out (once a client can see it, it
    /// may name the response in its next turn, on any lane); <paramref name="dropped"/> when a send fails because the
    /// connection is gone.
    /// </summary>
    public IResponseEventSink Events(string? streamId, Action lastEvent, Action dropped) => new ResponseEvents(this, streamId, lastEvent, dropped);

    private sealed class ResponseEvents(ResponseSocketWriter writer, string? streamId, Action lastEvent, Action dropped) : IResponseEventSink
    {
        private int _sequence;

        public async Task WriteAsync<T>(Func<int, T> build)
            where T : ResponseStreamEvent
        {
            var value = (ResponseStreamEvent)build(_sequence++) with { StreamId = streamId };
            bool last = value.Type is "response.completed" or "response.incomplete" or "response.failed";
            if (last)
            {
                await writer._deciding.WaitAsync();
            }

            try
            {
                if (last)
                {
                    lastEvent();
                }

                await writer.SendAsync(value);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
            {
                dropped();
                throw;
            }
            finally
            {
                if (last)
                {
                    writer._deciding.Release();
                }
            }
        }
    }
}

/// <summary>The error event of a Responses WebSocket.</summary>
public sealed record ResponseSocketError(string Type, int Status, ErrorDetail Error)
{
    /// <summary>The lane of the <c>response.create</c> it answers, when that named one.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StreamId { get; init; }
}
