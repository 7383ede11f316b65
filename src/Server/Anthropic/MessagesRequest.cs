using System.Text.Json;

namespace MambaServe.Server.Anthropic;

/// <summary>
/// POST /v1/messages (and /v1/messages/count_tokens) body: Anthropic's Messages API. The content blocks, system
/// prompt, tools and tool choice stay JSON here; <see cref="MessagesChatMapper"/> reads and checks them.
/// </summary>
public sealed class MessagesRequest
{
    public string? Model { get; set; }

    /// <summary>Required by /v1/messages; count_tokens takes none.</summary>
    public int? MaxTokens { get; set; }

    public JsonElement? Messages { get; set; }

    /// <summary>A string, or a list of text blocks.</summary>
    public JsonElement? System { get; set; }

    public List<string>? StopSequences { get; set; }

    /// <summary>0 to 1, as Anthropic's API takes it (default 1).</summary>
    public float? Temperature { get; set; }

    public float? TopP { get; set; }

    public int? TopK { get; set; }

    public bool? Stream { get; set; }

    public JsonElement? Tools { get; set; }

    public JsonElement? ToolChoice { get; set; }

    /// <summary><c>{"user_id"}</c>, logged as the request's user.</summary>
    public JsonElement? Metadata { get; set; }

    /// <summary>Extended thinking: only <c>{"type": "disabled"}</c> (the served model does not think).</summary>
    public JsonElement? Thinking { get; set; }

    /// <summary>Structured outputs: <c>{"format": {"type": "json_schema", "schema"}}</c> (<see cref="MessagesOutputFormat"/>).</summary>
    public JsonElement? OutputConfig { get; set; }

    /// <summary>The older name of <c>output_config.format</c>.</summary>
    public JsonElement? OutputFormat { get; set; }

    /// <summary>Automatic prompt caching: accepted, as the server caches prompt states by itself.</summary>
    public JsonElement? CacheControl { get; set; }

    /// <summary>Describe the caller or where it would like the request served; accepted and not used.</summary>
    public string? ServiceTier { get; set; }

    public string? InferenceGeo { get; set; }

    public string? Speed { get; set; }

    public string? WorkspaceId { get; set; }

    public string? UserProfileId { get; set; }

    public JsonElement? Diagnostics { get; set; }

    /// <summary>Server-side features that run nowhere here: any value but null is a 400.</summary>
    public JsonElement? Container { get; set; }

    public JsonElement? McpServers { get; set; }

    public JsonElement? ContextManagement { get; set; }
}
