namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// The events of a streamed background response, kept while it runs: the request that created it and any client that
/// comes back with <c>GET /v1/responses/{id}?stream=true&amp;starting_after=N</c> read them from where they are, then
/// follow new ones until the response ends. A client that goes away stops nothing. Each event is kept as the bytes
/// sent, and only the last <see cref="MaxKept"/> of them (about 15 MB of text deltas): a response may run to a million
/// tokens, and a log of all its events would hold hundreds of MB. A follower that falls further behind than that has
/// its stream ended (the response is still there to GET).
/// </summary>
public sealed class ResponseEventLog(int maxKept = ResponseEventLog.MaxKept) : IResponseEventSink
{
    public const int MaxKept = 65_536;

    private readonly List<byte[]> _frames = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _more = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _dropped; // events no longer kept, the oldest first: _frames[0] has this sequence number
    private bool _ended;

    public Task WriteAsync<T>(Func<int, T> build)
        where T : ResponseStreamEvent
    {
        lock (_lock)
        {
            var value = build(_dropped + _frames.Count);
            _frames.Add(SseWriter.EventFrame(value.Type, value));
            // Dropped in chunks, so that keeping the last maxKept costs no copy per event.
            if (_frames.Count >= maxKept + (maxKept / 8) + 1)
            {
                int drop = _frames.Count - maxKept;
                _frames.RemoveRange(0, drop);
                _dropped += drop;
            }

            Signal();
        }

        return Task.CompletedTask;
    }

    /// <summary>Whether the events after <paramref name="after"/> are all still kept.</summary>
    public bool Keeps(int after)
    {
        lock (_lock)
        {
            return after + 1 >= _dropped;
        }
    }

    /// <summary>No event follows: readers end after the last one.</summary>
    public void End()
    {
        lock (_lock)
        {
            _ended = true;
            Signal();
        }
    }

    /// <summary>
    /// Sends the events after sequence number <paramref name="after"/> (-1: all), then each new one, until the response
    /// ends, or until the events it has still to send are no longer kept.
    /// </summary>
    public async Task FollowAsync(SseWriter sse, int after, CancellationToken ct)
    {
        int next = after + 1;
        while (true)
        {
            byte[][] frames;
            bool ended;
            Task more;
            lock (_lock)
            {
                if (next < _dropped)
                {
                    return;
                }

                frames = next - _dropped < _frames.Count ? [.. _frames.Skip(next - _dropped)] : [];
                ended = _ended;
                more = _more.Task;
            }

            foreach (var frame in frames)
            {
                await sse.WriteFrameAsync(frame);
            }

            next += frames.Length;
            if (ended && frames.Length == 0)
            {
                return;
            }

            if (frames.Length == 0)
            {
                await more.WaitAsync(ct);
            }
        }
    }

    private void Signal()
    {
        var waiting = _more;
        _more = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waiting.TrySetResult();
    }
}
