using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Completions;

/// <param name="PromptLogprobs">vLLM's prompt_logprobs (<see cref="PromptLogprobsMapper"/>): left out unless requested (never in a stream).</param>
/// <param name="PromptTokenIds">vLLM's return_token_ids: the choice's prompt as token ids (a stream's first chunk of the choice only).</param>
/// <param name="TokenIds">vLLM's return_token_ids: the generated token ids (a stream chunk's new ones).</param>
public sealed record CompletionChoice(
    int Index,
    string Text,
    CompletionLogprobs? Logprobs,
    string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Dictionary<string, PromptLogprobEntry>?>? PromptLogprobs = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? PromptTokenIds = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? TokenIds = null);
