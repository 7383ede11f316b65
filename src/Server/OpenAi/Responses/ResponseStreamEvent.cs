using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>A Responses streaming event: its <c>type</c> and its place in the stream.</summary>
public abstract record ResponseStreamEvent(string Type, int SequenceNumber)
{
    /// <summary>The WebSocket lane the response runs on, when its <c>response.create</c> named one; never on SSE.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? StreamId { get; init; }
}
