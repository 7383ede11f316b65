using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Chat;

/// <param name="TokenIds">vLLM's return_token_ids: the generated token ids, stop tokens included.</param>
public sealed record ChatChoice(
    int Index,
    ChatResponseMessage Message,
    ChatLogprobs? Logprobs,
    string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? TokenIds = null);
