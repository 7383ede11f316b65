using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>A <c>chat.completion</c> object.</summary>
public sealed record ChatResponse(string Id, long Created, string Model, IReadOnlyList<ChatChoice> Choices, UsageInfo Usage)
{
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion";
}
