using System.Text.Json;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// POST /v1/responses body: the part of OpenAI's Responses API that text generation uses. <see cref="Input"/> is parsed
/// by <see cref="ResponseInputParser"/> so that every malformed item is a 400 naming its path. The other OpenAI fields
/// are bound too and checked by <see cref="ResponseOptionsCheck"/>: accepted where their value asks for what the
/// server does anyway (no tools, text format "text"), refused with a 400 naming them otherwise.
/// </summary>
public class ResponsesRequest
{
    public string? Model { get; set; }

    /// <summary>A string (one user message) or a list of message items.</summary>
    public JsonElement? Input { get; set; }

    /// <summary>The system message of this request only: it is not carried over to responses that continue this one.</summary>
    public string? Instructions { get; set; }

    public string? PreviousResponseId { get; set; }

    /// <summary>Keep the response (and its state) for retrieval and continuation; default true.</summary>
    public bool? Store { get; set; }

    public int? MaxOutputTokens { get; set; }

    public float? Temperature { get; set; }

    public float? TopP { get; set; }

    public bool? Stream { get; set; }

    public Dictionary<string, string?>? Metadata { get; set; }

    public string? User { get; set; }

    public JsonElement? Tools { get; set; }

    public JsonElement? ToolChoice { get; set; }

    public JsonElement? Text { get; set; }

    public JsonElement? Reasoning { get; set; }

    public JsonElement? Truncation { get; set; }

    public JsonElement? Include { get; set; }

    public JsonElement? ParallelToolCalls { get; set; }

    public JsonElement? Background { get; set; }

    public JsonElement? TopLogprobs { get; set; }

    public JsonElement? MaxToolCalls { get; set; }

    public JsonElement? Conversation { get; set; }

    public JsonElement? Prompt { get; set; }

    public JsonElement? StreamOptions { get; set; }

    public JsonElement? ServiceTier { get; set; }

    public JsonElement? PromptCacheKey { get; set; }

    public JsonElement? SafetyIdentifier { get; set; }

    public JsonElement? PromptCacheRetention { get; set; }

    public JsonElement? ContextManagement { get; set; }
}
