namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// The events of a streamed background response, kept while it runs: the request that created it and any client that
/// comes back with <c>GET /v1/responses/{id}?stream=true&amp;starting_after=N</c> read them from where they are, then
/// follow new ones until the response ends. A client that goes away stops nothing. Each event is kept as the bytes sent.
/// </summary>
public sealed class ResponseEventLog : IResponseEventSink
{
    private readonly List<byte[]> _frames = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _more = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _ended;

    public Task WriteAsync<T>(Func<int, T> build)
        where T : ResponseStreamEvent
    {
        lock (_lock)
        {
            var value = build(_frames.Count);
            _frames.Add(SseWriter.EventFrame(value.Type, value));
            Signal();
        }

        return Task.CompletedTask;
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

    /// <summary>Sends the events after sequence number <paramref name="after"/> (-1: all), then each new one, until the response ends.</summary>
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
                frames = next < _frames.Count ? [.. _frames.Skip(next)] : [];
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
