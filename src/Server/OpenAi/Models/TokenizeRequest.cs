using System.Text.Json;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.OpenAi.Models;

/// <summary>
/// POST /tokenize body (vLLM's shape): a completion prompt, or chat messages rendered as the chat route renders them
/// (with the chat fields that shape the rendered text).
/// </summary>
public sealed class TokenizeRequest
{
    public string? Model { get; set; }
    public string? Prompt { get; set; }
    public List<ChatMessage>? Messages { get; set; }
    public bool? AddGenerationPrompt { get; set; }
    public bool? ContinueFinalMessage { get; set; }
    public Dictionary<string, JsonElement>? ChatTemplateKwargs { get; set; }
    public string? ChatTemplate { get; set; }

    /// <summary>vLLM's: accepted where the tokenizer's post-processor adds no tokens, as on the generation routes.</summary>
    public bool? AddSpecialTokens { get; set; }

    /// <summary>vLLM's: also list each token as the vocabulary spells it (token_strs).</summary>
    public bool? ReturnTokenStrs { get; set; }
}
