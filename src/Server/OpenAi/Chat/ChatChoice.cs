using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Chat;

/// <param name="PromptLogprobs">vLLM's prompt_logprobs over the rendered prompt (<see cref="PromptLogprobsMapper"/>): left out unless requested.</param>
public sealed record ChatChoice(
    int Index,
    ChatResponseMessage Message,
    ChatLogprobs? Logprobs,
    string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Dictionary<string, PromptLogprobEntry>?>? PromptLogprobs = null);
