using System.Text.Json.Serialization;

namespace MambaServe.Server.Anthropic;

/// <summary>
/// The events of a streamed Message, each sent as <c>event: &lt;type&gt;</c> with its JSON (which carries the same
/// <c>type</c>): message_start, then per content block content_block_start, content_block_delta (text_delta or
/// input_json_delta) and content_block_stop, then message_delta (stop reason and output tokens) and message_stop.
/// </summary>
public abstract record MessagesStreamEvent([property: JsonPropertyOrder(-1)] string Type);

public sealed record MessageStartEvent(MessagesResponse Message) : MessagesStreamEvent("message_start");

public sealed record ContentBlockStartEvent(int Index, object ContentBlock) : MessagesStreamEvent("content_block_start");

public sealed record ContentBlockDeltaEvent(int Index, object Delta) : MessagesStreamEvent("content_block_delta");

public sealed record ContentBlockStopEvent(int Index) : MessagesStreamEvent("content_block_stop");

public sealed record MessageDeltaEvent(MessageDelta Delta, MessageDeltaUsage Usage) : MessagesStreamEvent("message_delta");

public sealed record MessageStopEvent() : MessagesStreamEvent("message_stop");

public sealed record MessagesErrorEvent(AnthropicError Error) : MessagesStreamEvent("error");

public sealed record MessageDelta(string? StopReason, string? StopSequence);

public sealed record MessageDeltaUsage(int OutputTokens);

public sealed record TextDelta(string Text)
{
    [JsonPropertyOrder(-1)]
    public string Type => "text_delta";
}

public sealed record InputJsonDelta(string PartialJson)
{
    [JsonPropertyOrder(-1)]
    public string Type => "input_json_delta";
}
