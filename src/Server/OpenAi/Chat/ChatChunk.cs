using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>A <c>chat.completion.chunk</c>: one choice's delta, or (usage chunk) no choices and the usage.</summary>
/// <param name="PromptTokenIds">vLLM's return_token_ids: the rendered prompt's token ids, in the stream's first chunk only.</param>
public sealed record ChatChunk(
    string Id,
    long Created,
    string Model,
    IReadOnlyList<ChatChunkChoice> Choices,
    UsageInfo? Usage,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? PromptTokenIds = null)
{
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion.chunk";
}
