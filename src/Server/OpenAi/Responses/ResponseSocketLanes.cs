using System.Text.Json;
using System.Text.RegularExpressions;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// The lanes of a Responses WebSocket (OpenAI's <c>stream_id</c> multiplexing): a <c>response.create</c> runs on the lane
/// its <c>stream_id</c> names, or on the default lane without one. Each lane runs its responses one after another in the
/// order they came (FIFO); lanes run at once, so one socket can carry parallel conversations, and a new lane can fork
/// another's response by <c>previous_response_id</c>. How many lanes a socket may use and how many responses may run or
/// wait on it, lanes together, are bounded (<see cref="Hosting.ServerOptions.MaxSocketStreams"/>,
/// <see cref="Hosting.ServerOptions.MaxSocketPending"/>). Admission runs on the socket's receive loop alone; the count of
/// pending responses is also lowered by the response tasks, and the server stopping reads the lanes from its own thread,
/// so the map takes a lock.
/// </summary>
public sealed partial class ResponseSocketLanes(int maxStreams, int maxPending)
{
    // Lane (the default lane as "": a stream_id is never empty) -> its state.
    private readonly Dictionary<string, Lane> _lanes = [];
    private readonly Lock _lock = new();
    // Responses running or waiting, all lanes: raised by the receive loop alone, lowered as each ends.
    private int _pending;

    /// <summary>
    /// The lane a message asks for: its <c>stream_id</c> (null for the default lane). A message that is not a JSON object
    /// (null: not JSON) goes to the default lane, where reading it fails as it should; a <c>stream_id</c> that is not a
    /// string of 1-256 letters, digits, '_', '.' or '-' (what the official clients send) is a 400 <c>invalid_stream_id</c>.
    /// </summary>
    public static string? Route(JsonElement? message)
    {
        if (message is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("stream_id", out var streamId))
        {
            return null;
        }

        if (Utf16Text.StringOf(streamId) is { } id && StreamIdPattern().IsMatch(id))
        {
            return id;
        }

        throw new ApiException(400, "stream_id names a lane of this socket: 1 to 256 letters, digits, '_', '.' or '-'.",
            ApiException.InvalidRequest, "stream_id", "invalid_stream_id");
    }

    /// <summary>
    /// Takes one more response onto <paramref name="streamId"/>'s lane and returns the lane, or refuses it: a lane past
    /// the socket's limit (400 <c>too_many_streams</c>), a socket whose responses fill its queue (429 <c>socket_queue_full</c>).
    /// </summary>
    public Lane Admit(string? streamId)
    {
        if (Volatile.Read(ref _pending) >= maxPending)
        {
            throw new ApiException(429, $"{maxPending} responses are already running or waiting on this socket: send the next one after a response ends (or open another socket).",
                ApiException.RateLimit, null, "socket_queue_full");
        }

        string key = streamId ?? string.Empty;
        Lane? lane;
        lock (_lock)
        {
            if (!_lanes.TryGetValue(key, out lane))
            {
                if (_lanes.Count >= maxStreams)
                {
                    throw new ApiException(400, $"This socket has used its {maxStreams} lanes (stream_id): continue on one of them, or open another socket.",
                        ApiException.InvalidRequest, "stream_id", "too_many_streams");
                }

                lane = new Lane(this);
                _lanes.Add(key, lane);
            }
        }

        Interlocked.Increment(ref _pending);
        return lane;
    }

    /// <summary>What every lane has begun, to wait for when the socket ends.</summary>
    public Task AllAsync()
    {
        lock (_lock)
        {
            return Task.WhenAll(_lanes.Values.Select(lane => lane.Tail).ToArray());
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,256}$")]
    private static partial Regex StreamIdPattern();

    /// <summary>One lane: the last response begun on it, which the next waits for.</summary>
    public sealed class Lane(ResponseSocketLanes lanes)
    {
        private volatile Task _tail = Task.CompletedTask;

        /// <summary>The last response begun on this lane; set by the receive loop alone.</summary>
        public Task Tail => _tail;

        /// <summary>
        /// Begins <paramref name="respond"/> after the lane's last response (admitted by <see cref="Admit"/>). It counts
        /// until it calls the action it is given, at its last event (a client that has that event sends its next create
        /// at once, while the response's task is still winding down), or else until it ends.
        /// </summary>
        public void Enqueue(Func<Action, Task> respond) => _tail = RunAfterAsync(_tail, respond);

        private async Task RunAfterAsync(Task before, Func<Action, Task> respond)
        {
            int counted = 1;
            void Uncount()
            {
                if (Interlocked.Exchange(ref counted, 0) == 1)
                {
                    Interlocked.Decrement(ref lanes._pending);
                }
            }

            try
            {
                // Each response answers for its own failures (an error event); the next on the lane runs regardless.
                await before.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await respond(Uncount);
            }
            finally
            {
                Uncount();
            }
        }
    }
}
