namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// Server-sent events as the Responses API streams them: <c>event: &lt;type&gt;</c> and <c>data: &lt;json&gt;</c> per
/// event, the JSON carrying the same <c>type</c> and a <c>sequence_number</c> counting from 0; no <c>[DONE]</c> marker.
/// </summary>
public sealed class ResponseEventWriter(HttpResponse response) : IResponseEventSink
{
    private readonly SseWriter _sse = new(response);
    private int _sequence;

    public Task StartAsync() => _sse.StartAsync();

    /// <summary>Writes one event; <paramref name="build"/> gets this event's sequence number.</summary>
    public async Task WriteAsync<T>(Func<int, T> build)
        where T : ResponseStreamEvent
    {
        var value = build(_sequence++);
        await _sse.WriteEventAsync(value.Type, value);
    }
}
