using System.Text.Json.Serialization;

namespace MambaServe.Server.OpenAi.Models;

/// <param name="TokenStrs">vLLM's return_token_strs: each token as the vocabulary spells it; left out unless asked.</param>
public sealed record TokenizeResponse(
    int Count,
    int MaxModelLen,
    IReadOnlyList<int> Tokens,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? TokenStrs = null);
