using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>A <c>chat.completion.chunk</c>: one choice's delta, or (usage chunk) no choices and the usage.</summary>
public sealed record ChatChunk(string Id, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices, UsageInfo? Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion.chunk";
}
