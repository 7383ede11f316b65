using System.Security.Cryptography;
using System.Text.Json;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// <c>response.steer</c> on a Responses WebSocket (OpenAI's steering): user input queued into a running response's
/// continuation. A steer of a response running on this socket is accepted (<c>response.steer.accepted</c>, with an id)
/// and queued; a free-text response then ends at its next token, incomplete with reason <c>steered</c>, its state saved
/// (<see cref="ResponseDraft.WrapUp"/>), while a response that may call a function or follows a format ends by itself,
/// whole. When it has ended, the session runs its successor: the same settings, continuing it by
/// <c>previous_response_id</c> from its saved state, with the queued input in the order sent; the successor's
/// <c>response.created</c> commits it. A response that ended with function calls waits for their outputs instead: each
/// steer is <c>response.steer.pending</c> with the calls' stubs, and the client's continuation of it on the same lane
/// gets the queued input first in its input. Input that cannot be committed comes back in <c>response.steer.failed</c>.
/// Refused: input that is not the user's messages (<c>invalid_input</c>), a response bound to a conversation or a
/// warm-up (<c>steering_not_supported</c>), a response of this socket once it ended (<c>response_already_completed</c>),
/// any other id (<c>response_not_found</c>), more than <see cref="Hosting.ServerOptions.MaxPendingSteers"/> queued for
/// one response (<c>too_many_pending_steers</c>). The receive loop submits, the lanes' tasks begin and end responses, so
/// every call takes the lock. Whether a steer came in time is decided and sent with no response's last event in between
/// (<see cref="ResponseSocketWriter.SendAnswersAsync"/>), so an accepted steer's acceptance always precedes its
/// response's end on the wire.
/// </summary>
public sealed class ResponseSocketSteering(int maxPerResponse)
{
    public const string SteerType = "response.steer";

    private readonly Lock _lock = new();
    // Responses that take steers (running) or keep them (ended, waiting for tool outputs or for their successor), by id.
    private readonly Dictionary<string, Target> _targets = [];
    // The last responses to end on this socket, with their lanes: a steer of one is too late rather than unknown. Bounded,
    // oldest out first, so a long-lived socket holds no more than this of them.
    private const int EndedKept = 256;
    private readonly Dictionary<string, string?> _ended = [];
    private readonly Queue<string> _endedOrder = new();

    /// <summary>The steer event <paramref name="message"/> (null: not JSON) holds, or null when it is another kind of message.</summary>
    public static SteerSubmission? Read(JsonElement? message)
    {
        if (message is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("type", out var type)
            || type.ValueKind != JsonValueKind.String || !type.ValueEquals(SteerType))
        {
            return null;
        }

        string? previous = root.TryGetProperty("previous_response_id", out var id) ? Utf16Text.StringOf(id) : null;
        JsonElement? input = root.TryGetProperty("input", out var given) && CanWrite(given) ? given.Clone() : null;
        return new SteerSubmission(null, previous, input);
    }

    /// <summary>A response began on <paramref name="streamId"/>'s lane; <paramref name="wrapUp"/> asks it to end early.</summary>
    public void Begin(string id, string? streamId, bool steerable, Action wrapUp)
    {
        lock (_lock)
        {
            _targets[id] = new Target(streamId, steerable, wrapUp);
        }
    }

    /// <summary>
    /// Answers a steer: accepted (and pending too when its target waits for tool outputs), or failed. An accepted steer
    /// of a running response comes with the action that asks that response to wrap up, for the caller to run once the
    /// acceptance is on its way: the client reads the acceptance before the response's end on the lane.
    /// </summary>
    public (IReadOnlyList<ResponseSteerEvent> Answers, Action? WrapUp) Submit(SteerSubmission steer)
    {
        if (steer.PreviousResponseId is not { } id || steer.Input is not { } input)
        {
            return ([Failed(steer, null, "invalid_input", "response.steer takes a string previous_response_id (the response to steer) and an input of valid text.")], null);
        }

        // Read before the lock (the lane tasks take it to begin and end responses); refused under it, once the target's
        // lane is known.
        IReadOnlyList<JsonElement>? items = null;
        string? invalid = null;
        try
        {
            items = ResponseSteerInput.Read(input);
        }
        catch (ApiException bad)
        {
            invalid = bad.Message;
        }

        Action? wrapUp = null;
        IReadOnlyList<ResponseSteerEvent> answer;
        lock (_lock)
        {
            answer = SubmitLocked(steer, id, input, items, invalid, ref wrapUp);
        }

        return (answer, wrapUp);
    }

    private IReadOnlyList<ResponseSteerEvent> SubmitLocked(
        SteerSubmission steer, string id, JsonElement input, IReadOnlyList<JsonElement>? items, string? invalid, ref Action? wrapUp)
    {
        if (!_targets.TryGetValue(id, out var target))
        {
            return _ended.TryGetValue(id, out var lane)
                ? [Failed(steer, lane, "response_already_completed", $"The response '{id}' has completed: send the input in a response.create with previous_response_id '{id}'.")]
                : [Failed(steer, null, "response_not_found", $"No response with id '{id}' runs on this socket.")];
        }

        if (!target.Steerable)
        {
            return [Failed(steer, target.StreamId, "steering_not_supported",
                "A response bound to a conversation, or a warm-up (generate: false), is not steered: send the input in the next response.create.")];
        }

        if (target.Phase == Phase.Ended)
        {
            return [Failed(steer, target.StreamId, "response_already_completed", $"The response '{id}' has completed and its successor is decided: send the input in the next response.create.")];
        }

        if (target.Queue.Count >= maxPerResponse)
        {
            return [Failed(steer, target.StreamId, "too_many_pending_steers",
                $"{maxPerResponse} steers are already queued for the response '{id}': wait for its successor's response.created.")];
        }

        if (items is null)
        {
            return [Failed(steer, target.StreamId, "invalid_input", invalid!)];
        }

        var queued = new QueuedSteer($"steer_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))}", id, input, items);
        target.Queue.Add(queued);
        var accepted = new SteerAccepted(new SteerSubmission(queued.Id, id)) { StreamId = target.StreamId };
        if (target.Phase == Phase.Running)
        {
            wrapUp = target.WrapUp;
            return [accepted];
        }

        return [accepted, Pending(queued, target)];
    }

    /// <summary>
    /// The response's last event is going out: steers of it are refused from now on. Returns whether any were queued
    /// for it (then a successor, or a wait for its tool outputs, follows it).
    /// </summary>
    public bool Close(string id)
    {
        lock (_lock)
        {
            if (_targets.TryGetValue(id, out var target) && target.Phase == Phase.Running)
            {
                target.Phase = Phase.Ended;
            }

            return target is { Queue.Count: > 0 };
        }
    }

    /// <summary>
    /// The response is over: what was queued for it, in the order sent (its successor's input). Once; later calls return
    /// none and leave steers that wait for its tool outputs waiting.
    /// </summary>
    public IReadOnlyList<QueuedSteer> Take(string id)
    {
        lock (_lock)
        {
            if (!_targets.TryGetValue(id, out var target) || target.Phase == Phase.WaitingForOutputs)
            {
                return [];
            }

            _targets.Remove(id);
            Ended(id, target.StreamId);
            return target.Queue;
        }
    }

    /// <summary>
    /// The response ended with function calls: its steers wait for the client's continuation on its lane, which
    /// <see cref="TakeWaiting"/> hands them to. Returns the <c>response.steer.pending</c> events, one a steer.
    /// </summary>
    public IReadOnlyList<ResponseSteerEvent> Wait(string id, string? streamId, IReadOnlyList<QueuedSteer> queued, IReadOnlyList<SteerRequiredInput> required)
    {
        lock (_lock)
        {
            var target = new Target(streamId, true, () => { }) { Phase = Phase.WaitingForOutputs, Required = required };
            target.Queue.AddRange(queued);
            _targets[id] = target;
            return [.. queued.Select(steer => Pending(steer, target))];
        }
    }

    /// <summary>
    /// A response.create on <paramref name="streamId"/>'s lane: the steers waiting for it (it continues their response,
    /// <paramref name="previousId"/>, on their lane), which go first in its input; and those waiting on the lane for
    /// another response, which lapse (the lane went on without it).
    /// </summary>
    public (IReadOnlyList<QueuedSteer> Carried, IReadOnlyList<QueuedSteer> Lapsed) TakeWaiting(string? previousId, string? streamId)
    {
        List<QueuedSteer> carried = [], lapsed = [];
        lock (_lock)
        {
            foreach (var (id, target) in _targets.Where(t => t.Value.Phase == Phase.WaitingForOutputs && t.Value.StreamId == streamId).ToList())
            {
                _targets.Remove(id);
                Ended(id, streamId);
                (id == previousId ? carried : lapsed).AddRange(target.Queue);
            }
        }

        return (carried, lapsed);
    }

    /// <summary>Remembers a response that ended (under the lock), forgetting the oldest past <see cref="EndedKept"/>.</summary>
    private void Ended(string id, string? streamId)
    {
        if (_ended.TryAdd(id, streamId))
        {
            _endedOrder.Enqueue(id);
            if (_endedOrder.Count > EndedKept)
            {
                _ended.Remove(_endedOrder.Dequeue());
            }
        }
    }

    /// <summary>A <c>response.steer.failed</c> for input that was accepted and cannot be committed, handed back with its id.</summary>
    public static SteerFailed Failed(QueuedSteer steer, string? streamId, string code, string message) =>
        Failed(new SteerSubmission(steer.Id, steer.PreviousResponseId, steer.Input), streamId, code, message);

    private static SteerFailed Failed(SteerSubmission steer, string? streamId, string code, string message) =>
        new(new SteerError(code, message, ApiException.InvalidRequest), steer) { StreamId = streamId };

    private static SteerPending Pending(QueuedSteer steer, Target target) =>
        new("waiting_for_required_input", target.Required, new SteerSubmission(steer.Id, steer.PreviousResponseId)) { StreamId = target.StreamId };

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

    /// <summary>Accepted input: its id, the response it steers, the input as sent (handed back if it fails) and as input items.</summary>
    public sealed record QueuedSteer(string Id, string PreviousResponseId, JsonElement Input, IReadOnlyList<JsonElement> Items);

    private enum Phase
    {
        Running,
        Ended,
        WaitingForOutputs,
    }

    private sealed class Target(string? streamId, bool steerable, Action wrapUp)
    {
        public string? StreamId => streamId;

        public bool Steerable => steerable;

        public Action WrapUp => wrapUp;

        public Phase Phase { get; set; }

        public List<QueuedSteer> Queue { get; } = [];

        public IReadOnlyList<SteerRequiredInput> Required { get; init; } = [];
    }
}
