using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Chat;

/// <param name="TokenIds">vLLM's return_token_ids: the token ids this chunk adds (left out of the role chunks).</param>
public sealed record ChatChunkChoice(
    int Index,
    ChatDelta Delta,
    ChatLogprobs? Logprobs,
    string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? TokenIds = null);
