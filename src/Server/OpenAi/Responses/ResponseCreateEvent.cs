using System.Text.Json;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// The client event of a Responses WebSocket (<see cref="ResponsesSocketSession"/>): <c>{"type": "response.create",
/// ...}</c>, the rest of it a POST /v1/responses body, plus <c>generate</c>. The socket always streams, so
/// <c>stream</c> may be left out or true; <c>stream: false</c> and <c>background: true</c> ask for what a socket does
/// not do and are refused. <c>stream_id</c> names the socket's lane the response runs on (<see cref="ResponseSocketLanes"/>).
/// </summary>
public sealed class ResponseCreateEvent : ResponsesRequest
{
    public const string CreateType = "response.create";

    public string? Type { get; set; }

    /// <summary>The lane, read (and checked) before the body is bound, to route the message: see <see cref="ResponseSocketLanes.Route"/>.</summary>
    public string? StreamId { get; set; }

    /// <summary>
    /// false: a warm-up. The input (instructions and tools too) is prefilled and its state saved, nothing is generated;
    /// the response completes with no output, and the next turn, continuing it by previous_response_id, starts from
    /// that state.
    /// </summary>
    public bool? Generate { get; set; }

    /// <summary>The event's type, read before the body is bound, so that another event is refused for what it is.</summary>
    public static void CheckType(JsonElement message)
    {
        if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("type", out var type)
            && type.ValueKind == JsonValueKind.String && type.ValueEquals(CreateType))
        {
            return;
        }

        throw new ApiException(400, $"Each message on this socket must be a JSON object with \"type\": \"{CreateType}\" and the fields of POST /v1/responses.",
            ApiException.InvalidRequest, "type", "unsupported_event_type");
    }

    /// <summary>
    /// A steered response's successor: these settings (OpenAI's automatic successors inherit them), continuing
    /// <paramref name="previousResponseId"/> with <paramref name="input"/>, the queued steering input.
    /// </summary>
    public ResponseCreateEvent ContinuedWith(string previousResponseId, JsonElement input)
    {
        var successor = (ResponseCreateEvent)MemberwiseClone();
        successor.PreviousResponseId = previousResponseId;
        successor.Input = input;
        return successor;
    }

    /// <summary>The transport fields a socket cannot honour: a 400 naming each.</summary>
    public void CheckTransport()
    {
        if (Stream == false)
        {
            throw ApiException.BadRequest("A response over a WebSocket is always streamed: leave stream out (or true).", "stream");
        }

        if (Background is { ValueKind: JsonValueKind.True })
        {
            throw ApiException.BadRequest("background is not supported over a WebSocket: use POST /v1/responses with background: true.", "background");
        }
    }
}
