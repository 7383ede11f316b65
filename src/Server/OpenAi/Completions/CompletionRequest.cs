using System.Text.Json;

namespace MambaServe.Server.OpenAi.Completions;

/// <summary>POST /v1/completions body (OpenAI legacy completions plus vLLM's sampling extensions).</summary>
public sealed class CompletionRequest : SamplingRequest
{
    /// <summary>A string, an array of strings, an array of token ids, or an array of token-id arrays.</summary>
    public JsonElement? Prompt { get; set; }

    public int? MaxTokens { get; set; }

    /// <summary>Top alternatives per token (0–20); with echo, the prompt tokens are scored too.</summary>
    public int? Logprobs { get; set; }

    public bool? Echo { get; set; }
}
