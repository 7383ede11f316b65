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

    /// <summary>Describes the caller only; accepted and not used.</summary>
    public string? ServiceTier { get; set; }
}
