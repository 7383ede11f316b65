using System.Text.Json;
using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// <c>response.steer</c> on a Responses WebSocket: input queued into a response's continuation. Not served: each is
/// answered by <c>response.steer.failed</c>, the way OpenAI answers a model or mode that does not steer, with the input
/// handed back so the client can carry it into its next <c>response.create</c>. The code
/// says what the target is: <c>steering_not_supported</c> for a response this socket runs or holds,
/// <c>response_not_found</c> for any other id, <c>invalid_input</c> for an event without a string
/// <c>previous_response_id</c> and an <c>input</c>. The event goes to the target's lane when it has one.
/// </summary>
public static class ResponseSocketSteering
{
    public const string SteerType = "response.steer";

    /// <summary>The steer event <paramref name="message"/> (null: not JSON) holds, or null when it is another kind of message.</summary>
    public static Steer? Read(JsonElement? message)
    {
        if (message is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("type", out var type)
            || type.ValueKind != JsonValueKind.String || !type.ValueEquals(SteerType))
        {
            return null;
        }

        string? previous = root.TryGetProperty("previous_response_id", out var id) ? Utf16Text.StringOf(id) : null;
        JsonElement? input = root.TryGetProperty("input", out var given) && CanWrite(given) ? given.Clone() : null;
        return new Steer(previous, input);
    }

    /// <summary>Whether the input can be handed back: text with a lone surrogate escape cannot be written as JSON again.</summary>
    private static bool CanWrite(JsonElement input)
    {
        try
        {
            JsonSerializer.SerializeToUtf8Bytes(input);
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// The answer to <paramref name="steer"/>: <paramref name="target"/> says whether its response runs on (or is held
    /// by) this socket, and on which lane.
    /// </summary>
    public static SteerFailed Refuse(Steer steer, Func<string, (bool Known, string? StreamId)> target)
    {
        if (steer.PreviousResponseId is not { } id || steer.Input is null)
        {
            return Failed(steer, null, "invalid_input", "response.steer takes a string previous_response_id (the response to steer) and an input of valid text.");
        }

        var (known, streamId) = target(id);
        return known
            ? Failed(steer, streamId, "steering_not_supported",
                "This server does not steer responses: send the input in the next response.create (previous_response_id continues from the response's saved state).")
            : Failed(steer, null, "response_not_found", $"No response with id '{id}' runs on this socket.");
    }

    private static SteerFailed Failed(Steer steer, string? streamId, string code, string message) =>
        new("response.steer.failed", 0, new SteerError(code, message, ApiException.InvalidRequest), steer) { StreamId = streamId };

    /// <summary>The steering submission: what the client sent, handed back as it came.</summary>
    public sealed record Steer(
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PreviousResponseId,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Input);

    public sealed record SteerError(string Code, string Message, string Type);

    /// <summary>The <c>response.steer.failed</c> event; its submission never had an id, so none is given.</summary>
    public sealed record SteerFailed(string Type, int SequenceNumber, SteerError Error, Steer Steer)
    {
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? StreamId { get; init; }

        /// <summary>The same refusal as an API error, for the count of rejected requests.</summary>
        public ApiException AsError() => new(400, Error.Message, ApiException.InvalidRequest, "previous_response_id", Error.Code);
    }
}
