using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using MambaServe.Engine.Conversations;
using MambaServe.Server.Hosting;
using MambaServe.Server.Telemetry;
using MambaServe.Server.OpenAi.Validation;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// One Responses WebSocket (OpenAI's WebSocket mode): each <c>response.create</c> message runs as POST /v1/responses
/// with <c>stream: true</c> does, its events sent back as messages; a message that cannot run (bad JSON, a bad field,
/// an unknown <c>previous_response_id</c>) is answered by one <c>error</c> event and the socket stays open for the
/// next. Responses run on lanes (<see cref="ResponseSocketLanes"/>, by <c>stream_id</c>): one after another on a lane,
/// at once across lanes. Each lane's latest response made with <c>store: false</c> stays continuable on this socket
/// (<see cref="ResponseSocketCache"/>). A <c>response.steer</c> is refused (<see cref="ResponseSocketSteering"/>). The
/// client closing the socket (or the connection dropping) cancels the responses in flight, as an HTTP client going away
/// does; the server stopping closes it with 1001.
/// </summary>
public sealed partial class ResponsesSocketSession(
    WebSocket socket, ApiServices api, BackgroundResponses background, string owner, ConversationStore store, ServerOptions limits,
    ServerTelemetry telemetry, ILogger logger)
{
    private readonly ResponseSocketWriter _writer = new(socket);
    private readonly ResponseSocketCache _cache = new(store);
    private readonly ResponseSocketLanes _lanes = new(limits.MaxSocketStreams, limits.MaxSocketPending);
    // The responses running on this socket, by id, and their lanes: what a response.steer may name.
    private readonly ConcurrentDictionary<string, string?> _running = new();
    // Cancelled when the socket ends: the responses in flight stop. Never disposed: it has no timer, and a late stop
    // callback may still cancel it.
    private readonly CancellationTokenSource _open = new();

    /// <summary>Serves the socket until the client closes it, the connection drops or <paramref name="stopping"/> fires.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        // Stopping closes the socket from this side; the receive below is never cancelled, since a cancelled receive
        // aborts the socket and the client would get no close frame.
        using var onStop = stopping.Register(() => _ = StopAsync());
        var close = (Status: WebSocketCloseStatus.NormalClosure, Description: (string?)null);
        try
        {
            while (await ReceiveAsync() is { } message)
            {
                if (message.Type == WebSocketMessageType.Binary)
                {
                    await RejectAsync(new ApiException(400, "Messages on this socket are JSON text; a binary message was received.",
                        ApiException.InvalidRequest, null, "unsupported_message"), null);
                    continue;
                }

                // Read once here for what routes it (its type, its lane); the response itself reads the body when it starts.
                using var peek = Peek(message.Body);
                if (ResponseSocketSteering.Read(peek?.RootElement) is { } steer)
                {
                    var failed = ResponseSocketSteering.Refuse(steer, id => _running.TryGetValue(id, out var lane) ? (true, lane) : _cache.LaneOf(id));
                    telemetry.RecordRejected(failed.AsError());
                    await _writer.SendAnswerAsync(failed);
                    continue;
                }

                string? streamId = null;
                try
                {
                    streamId = ResponseSocketLanes.Route(peek?.RootElement);
                    if (_open.IsCancellationRequested)
                    {
                        throw new ApiException(503, "The server is shutting down.", ApiException.ServiceUnavailable, null, "engine_stopped");
                    }

                    var body = message.Body;
                    _lanes.Admit(streamId).Enqueue(() => RespondAsync(body, streamId, _open.Token));
                }
                catch (ApiException refused)
                {
                    await RejectAsync(refused, streamId);
                }
            }
        }
        catch (TooLargeException)
        {
            close = (WebSocketCloseStatus.MessageTooBig, $"A message may hold at most {limits.MaxRequestBodyBytes} bytes.");
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The connection dropped without a close (Kestrel's abort is an OperationCanceledException), or the socket
            // failed it on a protocol error (text that is not UTF-8: a 1007 close frame, then the connection ends, as RFC
            // 6455 has it): the response in flight stops below.
        }
        finally
        {
            await _open.CancelAsync();
            await _lanes.AllAsync();
            _cache.Drop();
        }

        await _writer.CloseAsync(close.Status, close.Description);
    }

    /// <summary>The server is stopping: the responses in flight stop, then the socket is closed with 1001 (going away).</summary>
    private async Task StopAsync()
    {
        await _open.CancelAsync();
        await _lanes.AllAsync();
        await _writer.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "The server is shutting down.");
    }

    /// <summary>
    /// Runs one response.create on <paramref name="streamId"/>'s lane to its last event; anything that stops it before
    /// its stream began is one error event on that lane.
    /// </summary>
    private async Task RespondAsync(ReadOnlyMemory<byte> body, string? streamId, CancellationToken ct)
    {
        try
        {
            using var document = RequestReader.Parse(body);
            ResponseCreateEvent.CheckType(document.RootElement);
            var request = RequestReader.Read<ResponseCreateEvent>(document.RootElement, OpenAiJson.Options);
            request.CheckTransport();
            request.Stream = true;
            var (run, draft, _) = await ResponsesEndpoint.StartAsync(request, api, owner, background, ct, _cache, warmUp: request.Generate == false);
            _running[draft.Id] = streamId;
            await using (run)
            {
                try
                {
                    // The lane's latest response is this one before the client can see its last event, so a turn sent
                    // the moment it arrives, on any lane, can name it. A send that fails (the client went away) ends the
                    // socket at once, so the response stops as a cancelled one, as an SSE stream's does when its client
                    // leaves.
                    await ResponseStreamer.StreamAsync(_writer.Events(streamId, () => _cache.Ended(streamId, draft), _open.Cancel), run, draft, ct);
                }
                finally
                {
                    draft.Abandon();
                    _cache.Ended(streamId, draft);
                    _running.TryRemove(draft.Id, out _);
                }
            }
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // The socket closed (or the server is stopping): the response stopped with it, and nobody is left to tell.
        }
        catch (WebSocketException)
        {
            // The connection dropped mid-stream; the receive loop ends the session.
        }
        catch (Exception ex)
        {
            var error = ApiErrors.From(ex);
            if (error.Status >= 500)
            {
                LogFailed(ex, error.Status);
            }

            await RejectAsync(error, streamId);
        }
    }

    /// <summary>The message as JSON, or null when it is not JSON (the response's own reading then answers it).</summary>
    private static JsonDocument? Peek(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>An error event on a lane, counted as an HTTP error answer is (mambaserve.requests.rejected, by status and reason).</summary>
    private Task RejectAsync(ApiException error, string? streamId)
    {
        telemetry.RecordRejected(error);
        return _writer.SendErrorAsync(error, streamId);
    }

    /// <summary>The next whole message; null once the client closed the socket.</summary>
    private async Task<Message?> ReceiveAsync()
    {
        var buffer = new ArrayBufferWriter<byte>();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.GetMemory(16 * 1024), CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            buffer.Advance(result.Count);
            if (buffer.WrittenCount > limits.MaxRequestBodyBytes)
            {
                throw new TooLargeException();
            }

            if (result.EndOfMessage)
            {
                return new Message(result.MessageType, buffer.WrittenMemory);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A response.create on a Responses WebSocket failed with {Status}")]
    private partial void LogFailed(Exception ex, int status);

    private sealed record Message(WebSocketMessageType Type, ReadOnlyMemory<byte> Body);

    private sealed class TooLargeException : Exception;
}
