using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Chat;

/// <param name="PromptLogprobs">vLLM's prompt_logprobs: only in a choice's first chunk after its role chunk, when requested.</param>
public sealed record ChatChunkChoice(
    int Index,
    ChatDelta Delta,
    ChatLogprobs? Logprobs,
    string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Dictionary<string, PromptLogprobEntry>?>? PromptLogprobs = null);
