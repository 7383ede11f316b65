using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Completions;

/// <param name="PromptLogprobs">vLLM's prompt_logprobs (<see cref="PromptLogprobsMapper"/>): left out unless requested (never in a stream).</param>
public sealed record CompletionChoice(
    int Index,
    string Text,
    CompletionLogprobs? Logprobs,
    string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Dictionary<string, PromptLogprobEntry>?>? PromptLogprobs = null);
