using System.Text.Json;
using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// A steering submission as the steer events name it: its id (once one was given), the response it steers, and its
/// input (handed back only when it is not committed).
/// </summary>
public sealed record SteerSubmission(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PreviousResponseId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Input = null);

/// <summary>
/// A server event about a steer: <c>response.steer.accepted</c>, <c>.failed</c> or <c>.pending</c>. Each answers the
/// socket's client by itself, outside any response's numbered stream, so its sequence number is 0; it carries the lane
/// of the response it steers.
/// </summary>
public abstract record ResponseSteerEvent(string Type, int SequenceNumber, SteerSubmission Steer)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StreamId { get; init; }
}

/// <summary>The server owns the queued input; the successor's <c>response.created</c> commits it.</summary>
public sealed record SteerAccepted(SteerSubmission Steer) : ResponseSteerEvent("response.steer.accepted", 0, Steer);

/// <summary>Why a steer's input could not be queued or committed, with the input handed back.</summary>
public sealed record SteerFailed(SteerError Error, SteerSubmission Steer) : ResponseSteerEvent("response.steer.failed", 0, Steer)
{
    /// <summary>The same refusal as an API error, for the count of rejected requests.</summary>
    public ApiException AsError() => new(400, Error.Message, Error.Type, "previous_response_id", Error.Code);
}

/// <summary>
/// The steered response ended waiting for the client's tool outputs: its queued input goes first into the client's
/// continuation of it, on the same lane.
/// </summary>
public sealed record SteerPending(string Reason, IReadOnlyList<SteerRequiredInput> RequiredInput, SteerSubmission Steer)
    : ResponseSteerEvent("response.steer.pending", 0, Steer);

public sealed record SteerError(string Code, string Message, string Type);

/// <summary>A stub of a tool output the continuation must carry: the call it answers.</summary>
public sealed record SteerRequiredInput(string Type, string CallId, string Name);
