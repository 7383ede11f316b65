using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>A <c>chat.completion</c> object.</summary>
/// <param name="PromptLogprobs">vLLM's prompt_logprobs over the rendered prompt (<see cref="PromptLogprobsMapper"/>), on the response as vLLM puts them: left out unless requested.</param>
/// <param name="PromptTokenIds">vLLM's return_token_ids: the rendered prompt's token ids (on the response, as vLLM).</param>
public sealed record ChatResponse(
    string Id,
    long Created,
    string Model,
    IReadOnlyList<ChatChoice> Choices,
    UsageInfo Usage,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Dictionary<string, PromptLogprobEntry>?>? PromptLogprobs = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? PromptTokenIds = null)
{
    [JsonPropertyOrder(-1)]
    public string Object => "chat.completion";
}
