using System.Buffers;
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
/// (<see cref="ResponseSocketCache"/>). A <c>response.steer</c> queues input for a running response's successor, which
/// runs on its lane right after it (<see cref="ResponseSocketSteering"/>). The
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
    private readonly ResponseSocketSteering _steering = new(limits.MaxPendingSteers);
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
                    Action? wrapUp = null;
                    await _writer.SendAnswersAsync(() =>
                    {
                        (var answers, wrapUp) = _steering.Submit(steer);
                        foreach (var answer in answers)
                        {
                            Count(answer);
                            if (answer is SteerFailed failed)
                            {
                                telemetry.RecordRejected(failed.AsError());
                            }
                        }

                        return answers;
                    });
                    // Only once the acceptance is sent: the response it ends could otherwise send its end first.
                    wrapUp?.Invoke();
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
                    _lanes.Admit(streamId).Enqueue(uncount => RespondAsync(body, streamId, uncount, _open.Token));
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
    /// Runs one response.create on <paramref name="streamId"/>'s lane to its last event, then, while steers were queued
    /// for the response that ended, its successors; anything that stops the create before its stream began is one error
    /// event on that lane. <paramref name="uncount"/> takes it out of the socket's count of responses in flight at the
    /// last event that no successor follows.
    /// </summary>
    private async Task RespondAsync(ReadOnlyMemory<byte> body, string? streamId, Action uncount, CancellationToken ct)
    {
        try
        {
            using var document = RequestReader.Parse(body);
            ResponseCreateEvent.CheckType(document.RootElement);
            var request = RequestReader.Read<ResponseCreateEvent>(document.RootElement, OpenAiJson.Options);
            request.CheckTransport();
            request.Stream = true;
            // Steers waiting for the tool outputs of the response this continues go first in its input; any other
            // waiting on this lane lapse, since the lane went on without their response.
            var (carried, lapsed) = _steering.TakeWaiting(request.PreviousResponseId, streamId);
            await FailSteersAsync(lapsed, streamId, "response_not_active", "The lane went on without continuing the response this input steered: send it in a response.create.");
            if (carried.Count > 0)
            {
                request.Input = ResponseSteerInput.Join(carried.Select(steer => steer.Items), request.Input);
            }

            for (var next = (Request: request, Carried: carried, Explicit: true); ;)
            {
                var started = await StartOrFailAsync(next.Request, next.Carried, next.Explicit, streamId, ct);
                if (started is not var (run, draft))
                {
                    return;
                }

                var (outcome, queued) = await StreamAsync(run, draft, streamId, uncount, ct);
                if (await SuccessorAsync(next.Request, outcome, queued, streamId) is not { } successor)
                {
                    return;
                }

                next = (successor, queued, false);
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
            await RejectAsync(Logged(ex), streamId);
        }
    }

    /// <summary>
    /// Starts a response: the client's create (<paramref name="isExplicit"/>) or a steered response's successor. On a
    /// refusal the create gets its error event, and the steers it was to commit come back as failed; null then.
    /// </summary>
    private async Task<(GenerationRun, ResponseDraft)?> StartOrFailAsync(
        ResponseCreateEvent request, IReadOnlyList<ResponseSocketSteering.QueuedSteer> carried, bool isExplicit, string? streamId, CancellationToken ct)
    {
        try
        {
            var (run, draft, _) = await ResponsesEndpoint.StartAsync(request, api, owner, background, ct, _cache, warmUp: request.Generate == false);
            telemetry.RecordSteers("committed", carried.Count); // the response.created that follows commits them
            return (run, draft);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            var error = Logged(ex);
            if (isExplicit)
            {
                await RejectAsync(error, streamId);
            }

            await FailSteersAsync(carried, streamId, "successor_creation_failed", $"The response this input was to start could not be created: {error.Message}");
            return null;
        }
    }

    /// <summary>
    /// Streams a started response to its last event; returns it as it ended and the steers queued for it meanwhile.
    /// <paramref name="lastOnLane"/> runs with its last event when no steer was queued for it (nothing follows it).
    /// </summary>
    private async Task<(ResponseObject Outcome, IReadOnlyList<ResponseSocketSteering.QueuedSteer> Queued)> StreamAsync(
        GenerationRun run, ResponseDraft draft, string? streamId, Action lastOnLane, CancellationToken ct)
    {
        _steering.Begin(draft.Id, streamId, steerable: draft.Plan.Turn is null && !draft.WarmUp, draft.WrapUp);
        await using (run)
        {
            try
            {
                // The lane's latest response is this one before the client can see its last event, so a turn sent the
                // moment it arrives, on any lane, can name it; from then on a steer of it is too late. A send that fails
                // (the client went away) ends the socket at once, so the response stops as a cancelled one, as an SSE
                // stream's does when its client leaves.
                void LastEvent()
                {
                    _cache.Ended(streamId, draft);
                    if (!_steering.Close(draft.Id))
                    {
                        lastOnLane();
                    }
                }

                var outcome = await ResponseStreamer.StreamAsync(_writer.Events(streamId, LastEvent, _open.Cancel), run, draft, ct);
                return (outcome, _steering.Take(draft.Id));
            }
            finally
            {
                draft.Abandon();
                _cache.Ended(streamId, draft);
                _steering.Take(draft.Id); // stopped before its end: what was queued goes with the socket
            }
        }
    }

    /// <summary>
    /// What follows a response that had steers queued: its successor (these settings, continuing it with the steers'
    /// input), or none: the steers wait for its function calls' outputs (<c>response.steer.pending</c>) or, the response
    /// having failed, come back (<c>response.steer.failed</c>).
    /// </summary>
    private async Task<ResponseCreateEvent?> SuccessorAsync(
        ResponseCreateEvent request, ResponseObject outcome, IReadOnlyList<ResponseSocketSteering.QueuedSteer> queued, string? streamId)
    {
        if (queued.Count == 0)
        {
            return null;
        }

        if (outcome.Status is "failed" or "cancelled")
        {
            await FailSteersAsync(queued, streamId, "response_not_active", $"The response this input steered ended {outcome.Status}: send the input in a response.create.");
            return null;
        }

        var required = outcome.Output.OfType<ResponseFunctionCall>().Select(call => new SteerRequiredInput("function_call_output", call.CallId, call.Name)).ToList();
        if (required.Count > 0)
        {
            foreach (var pending in _steering.Wait(outcome.Id, streamId, queued, required))
            {
                Count(pending);
                await _writer.SendAnswerAsync(pending);
            }

            return null;
        }

        return request.ContinuedWith(outcome.Id, ResponseSteerInput.Join(queued.Select(steer => steer.Items), null));
    }

    /// <summary>Hands accepted steering input back, each with its id, on the lane of the response it steered.</summary>
    private async Task FailSteersAsync(IReadOnlyList<ResponseSocketSteering.QueuedSteer> steers, string? streamId, string code, string message)
    {
        foreach (var steer in steers)
        {
            var failed = ResponseSocketSteering.Failed(steer, streamId, code, message);
            Count(failed);
            await _writer.SendAnswerAsync(failed);
        }
    }

    /// <summary>Counts a steer event by outcome (mambaserve.responses.steers).</summary>
    private void Count(ResponseSteerEvent steerEvent)
    {
        switch (steerEvent)
        {
            case SteerAccepted:
                telemetry.RecordSteers("accepted");
                break;
            case SteerPending:
                telemetry.RecordSteers("pending");
                break;
            case SteerFailed failed:
                telemetry.RecordSteers("failed", code: failed.Error.Code);
                break;
        }
    }

    /// <summary>The API error an exception answers as; a server fault (5xx) is logged.</summary>
    private ApiException Logged(Exception ex)
    {
        var error = ApiErrors.From(ex);
        if (error.Status >= 500)
        {
            LogFailed(ex, error.Status);
        }

        return error;
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
