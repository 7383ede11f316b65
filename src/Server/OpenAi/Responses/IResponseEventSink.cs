namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// Where a response's stream events go: straight to the client (<see cref="ResponseEventWriter"/>), or into the log a
/// background response keeps so that clients can follow it and come back to it (<see cref="ResponseEventLog"/>).
/// </summary>
public interface IResponseEventSink
{
    /// <summary>Writes one event; <paramref name="build"/> gets this event's sequence number.</summary>
    Task WriteAsync<T>(Func<int, T> build)
        where T : ResponseStreamEvent;
}
