using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.Anthropic;

/// <summary>
/// Streams a Message as Anthropic does: <c>message_start</c> (the Message with no content and the input tokens), each
/// content block between <c>content_block_start</c> and <c>content_block_stop</c> with its deltas (<c>text_delta</c>
/// as the text comes; <c>input_json_delta</c> for a tool_use block's input, from its first character that is not
/// whitespace), then <c>message_delta</c> with the stop
/// reason and output tokens, and <c>message_stop</c>. The chat answer decides what goes out when
/// (<see cref="ChatAnswer.Delta"/>): a forced call's input streams as it is written, calls read from the text go out
/// whole at the end, and text that may begin a call is held until then. The stop sequence that ended the answer is cut
/// from its last update (<see cref="MessagesStopSequences"/>). A failure after the stream started is an
/// <c>error</c> event.
/// </summary>
public static class MessagesStreamer
{
    public static async Task StreamAsync(HttpContext http, GenerationRun run, string id, string model, ChatAnswer answer, MessagesStopSequences stops)
    {
        var sse = new SseWriter(http.Response);
        await sse.StartAsync();
        var blocks = new BlockWriter(sse);
        await sse.WriteEventAsync("message_start", new MessageStartEvent(new MessagesResponse(id, model, [], null, null, new MessagesUsage(run.PromptTokens, 0))));
        string? finish = null;
        string? matched = null;
        bool started = false;
        try
        {
            await foreach (var item in run.ReadAllAsync(http.RequestAborted))
            {
                var update = item.Update;
                finish = FinishReasons.ToWire(update.Finish) ?? finish;
                bool last = update.Finish is not null;
                if (update.TextDelta.Length == 0 && !last)
                {
                    continue;
                }

                var (text, stop) = stops.Cut(update.TextDelta, finish == "stop");
                matched = stop ?? matched;
                var delta = answer.Delta(0, text, first: !started, last);
                started = true;
                await blocks.WriteAsync(delta);
            }
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
        {
            run.MarkFailed(ex);
            await sse.WriteEventAsync("error", new MessagesErrorEvent(AnthropicError.From(ApiErrors.From(ex))));
            return;
        }

        await blocks.CloseAsync();
        string stopReason = MessagesAnswer.StopReason(answer.Finish(0, finish), blocks.Calls > 0, matched);
        await sse.WriteEventAsync("message_delta", new MessageDeltaEvent(new MessageDelta(stopReason, matched), new MessageDeltaUsage(run.CompletionTokens)));
        await sse.WriteEventAsync("message_stop", new MessageStopEvent());
    }

    /// <summary>The content blocks of one stream: which is open, and its index.</summary>
    private sealed class BlockWriter(SseWriter sse)
    {
        private static readonly System.Text.Json.JsonElement EmptyInput = System.Text.Json.JsonDocument.Parse("{}").RootElement;
        private int _index = -1;
        private bool _open;
        private bool _text;
        private bool _inputStarted;

        /// <summary>Tool_use blocks opened so far.</summary>
        public int Calls { get; private set; }

        public async Task WriteAsync(ChatDelta delta)
        {
            if (!string.IsNullOrEmpty(delta.Content))
            {
                if (!(_open && _text))
                {
                    await OpenAsync(new MessagesTextBlock(string.Empty), text: true);
                }

                await sse.WriteEventAsync("content_block_delta", new ContentBlockDeltaEvent(_index, new TextDelta(delta.Content)));
            }

            foreach (var call in delta.ToolCalls ?? [])
            {
                if (call.Id is not null)
                {
                    // A new call: its block opens with the id and name, and an empty input the deltas fill.
                    await OpenAsync(new MessagesToolUseBlock(call.Id, call.Function.Name!, EmptyInput), text: false);
                    Calls++;
                }

                // The input's leading whitespace is not sent: JSON does not need it, and a client that parses the input
                // so far (the SDKs' partial-JSON parsers) fails on whitespace alone.
                var json = _inputStarted ? call.Function.Arguments : call.Function.Arguments.TrimStart();
                if (json.Length > 0)
                {
                    _inputStarted = true;
                    await sse.WriteEventAsync("content_block_delta", new ContentBlockDeltaEvent(_index, new InputJsonDelta(json)));
                }
            }
        }

        public async Task CloseAsync()
        {
            if (_open)
            {
                await sse.WriteEventAsync("content_block_stop", new ContentBlockStopEvent(_index));
                _open = false;
            }
        }

        private async Task OpenAsync(object block, bool text)
        {
            await CloseAsync();
            _index++;
            _open = true;
            _text = text;
            _inputStarted = false;
            await sse.WriteEventAsync("content_block_start", new ContentBlockStartEvent(_index, block));
        }
    }
}
