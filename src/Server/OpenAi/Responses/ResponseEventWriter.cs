using System.Text;
using System.Text.Json;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// Server-sent events as the Responses API streams them: <c>event: &lt;type&gt;</c> and <c>data: &lt;json&gt;</c> per
/// event, the JSON carrying the same <c>type</c> and a <c>sequence_number</c> counting from 0; no <c>[DONE]</c> marker.
/// </summary>
public sealed class ResponseEventWriter(HttpResponse response)
{
    private readonly SseWriter _sse = new(response);
    private int _sequence;

    public Task StartAsync() => _sse.StartAsync();

    /// <summary>Writes one event; <paramref name="build"/> gets this event's sequence number.</summary>
    public async Task WriteAsync<T>(Func<int, T> build)
        where T : ResponseStreamEvent
    {
        var value = build(_sequence++);
        var ct = response.HttpContext.RequestAborted;
        var head = Encoding.UTF8.GetBytes($"event: {value.Type}\ndata: ");
        await response.Body.WriteAsync(head, ct);
        await response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(value, OpenAiJson.Options), ct);
        await response.Body.WriteAsync("\n\n"u8.ToArray(), ct);
        await response.Body.FlushAsync(ct);
    }
}
