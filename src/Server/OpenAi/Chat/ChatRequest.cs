using System.Text.Json;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>POST /v1/chat/completions body.</summary>
public sealed class ChatRequest : SamplingRequest
{
    public List<ChatMessage>? Messages { get; set; }

    public int? MaxTokens { get; set; }

    /// <summary>OpenAI's newer name for max_tokens; wins when both are set.</summary>
    public int? MaxCompletionTokens { get; set; }

    public bool? Logprobs { get; set; }

    public int? TopLogprobs { get; set; }

    /// <summary>vLLM: end the rendered prompt with the assistant's turn opener (default true).</summary>
    public bool? AddGenerationPrompt { get; set; }

    /// <summary>vLLM: continue the last (assistant) message: the prompt ends right after its content (default false).</summary>
    public bool? ContinueFinalMessage { get; set; }

    /// <summary>vLLM: extra variables for the chat template (enable_thinking, ...), JSON values as the template sees them.</summary>
    public Dictionary<string, JsonElement>? ChatTemplateKwargs { get; set; }

    /// <summary>vLLM: a template for this request only; refused unless Server:TrustRequestChatTemplate is set.</summary>
    public string? ChatTemplate { get; set; }

    /// <summary>Functions the model can be made to call (<see cref="ForcedToolCall"/>).</summary>
    public List<ChatTool>? Tools { get; set; }

    /// <summary>"none", a named function, or "required" with one tool ("auto" is refused: <see cref="ForcedToolCall"/>).</summary>
    public JsonElement? ToolChoice { get; set; }

    /// <summary>OpenAI's: false asks for one call at most (used by tool_choice "required" with several tools; default true).</summary>
    public bool? ParallelToolCalls { get; set; }
}
