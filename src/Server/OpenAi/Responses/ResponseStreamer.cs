using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// Streams a response as OpenAI does: <c>response.created</c>, <c>response.in_progress</c>, then the output items in
/// order, each between its <c>response.output_item.added</c> and <c>.done</c>, and <c>response.completed</c>
/// (<c>response.incomplete</c> when max_output_tokens cut it). The message is opened with the first text that can go
/// out (its text part added, one <c>response.output_text.delta</c> per engine update with text, with the logprobs of
/// the tokens it brings when asked, then the text and part done); a function call streams <c>response.function_call_arguments.delta</c> and <c>.done</c>. A forced call's
/// arguments stream as the engine writes them; calls the model chose go out whole once the answer is read, and the text
/// that may be (part of) a call is held back until then (<see cref="ResponseToolAnswer.StreamableText"/>). A failure
/// after the stream started is one <c>response.failed</c> event carrying the error.
/// </summary>
public static class ResponseStreamer
{
    private const int Content = 0;

    /// <summary>
    /// Streams the run into <paramref name="events"/> and stores the response (before its last event, so that a client
    /// that has it can continue it at once); returns it as it ended: completed, incomplete, or failed (after its
    /// event). Cancelling <paramref name="ct"/> (the client going away; a background response's cancel) ends the
    /// stream with no last event, by the run's exception.
    /// </summary>
    public static async Task<ResponseObject> StreamAsync(IResponseEventSink events, GenerationRun run, ResponseDraft draft, CancellationToken ct)
    {
        var started = draft.InProgress();
        await events.WriteAsync(s => new ResponseLifecycleEvent("response.created", s, started));
        await events.WriteAsync(s => new ResponseLifecycleEvent("response.in_progress", s, started));
        var message = new MessageStream(events, draft.MessageId, draft.Logprobs);
        if (draft.ForcedCall is { } forced)
        {
            await events.WriteAsync(s => new ResponseOutputItemEvent("response.output_item.added", s, 0, forced));
        }

        try
        {
            await foreach (var item in run.ReadAllAsync(ct))
            {
                draft.Append(item.Update);
                if (draft.ForcedCall is { } call)
                {
                    if (item.Update.TextDelta.Length > 0)
                    {
                        await events.WriteAsync(s => new ResponseFunctionArgumentsEvent("response.function_call_arguments.delta", s, call.Id, 0, item.Update.TextDelta));
                    }
                }
                else if (!draft.Answer.MayCall)
                {
                    await message.SendAsync(item.Update.TextDelta);
                }
                else
                {
                    // A call may begin in the text: what can go out is read from the whole text so far.
                    var text = draft.Text;
                    await message.SendUpToAsync(text, draft.Answer.StreamableText(text));
                }
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            run.MarkFailed(ex);
            var failed = draft.Failed(run, ApiErrors.From(ex));
            draft.Commit(failed, run);
            await events.WriteAsync(s => new ResponseLifecycleEvent("response.failed", s, failed));
            return failed;
        }

        var response = draft.Completed(run);
        draft.Commit(response, run);
        for (int index = 0; index < response.Output.Count; index++)
        {
            int at = index;
            switch (response.Output[at])
            {
                case ResponseOutputMessage done:
                    var text = done.Content[Content].Text;
                    await message.SendUpToAsync(text, text.Length, open: true);
                    await events.WriteAsync(s => new ResponseTextDoneEvent("response.output_text.done", s, done.Id, at, Content, text) { Logprobs = done.Content[Content].Logprobs });
                    await events.WriteAsync(s => new ResponseContentPartEvent("response.content_part.done", s, done.Id, at, Content, new(text)));
                    break;
                case ResponseFunctionCall call:
                    if (draft.ForcedCall is null)
                    {
                        await events.WriteAsync(s => new ResponseOutputItemEvent("response.output_item.added", s, at, call with { Status = "in_progress", Arguments = string.Empty }));
                        await events.WriteAsync(s => new ResponseFunctionArgumentsEvent("response.function_call_arguments.delta", s, call.Id, at, call.Arguments));
                    }

                    await events.WriteAsync(s => new ResponseFunctionArgumentsEvent("response.function_call_arguments.done", s, call.Id, at, null, call.Arguments, call.Name));
                    break;
            }

            await events.WriteAsync(s => new ResponseOutputItemEvent("response.output_item.done", s, at, response.Output[at]));
        }

        var final = response.Status == "completed" ? "response.completed" : "response.incomplete";
        await events.WriteAsync(s => new ResponseLifecycleEvent(final, s, response));
        return response;
    }

    /// <summary>The message item of a stream (always output 0): opened with its first text, then that text as it comes.</summary>
    private sealed class MessageStream(IResponseEventSink events, string id, ResponseLogprobs? logprobs)
    {
        private bool _open;
        private int _sent;

        /// <summary>Sends what of the message's <paramref name="text"/> up to <paramref name="end"/> is not sent yet.</summary>
        public Task SendUpToAsync(string text, int end, bool open = false) => SendAsync(end > _sent ? text[_sent..end] : string.Empty, open);

        /// <summary>Sends the message's next text, opening the item first; <paramref name="open"/>: open it even for no text.</summary>
        public async Task SendAsync(string delta, bool open = false)
        {
            if (!_open && (delta.Length > 0 || open))
            {
                _open = true;
                await events.WriteAsync(s => new ResponseOutputItemEvent("response.output_item.added", s, 0, new ResponseOutputMessage(id, "in_progress", [])));
                await events.WriteAsync(s => new ResponseContentPartEvent("response.content_part.added", s, id, 0, Content, new(string.Empty)));
            }

            if (delta.Length > 0)
            {
                _sent += delta.Length;
                var sent = logprobs?.TakeUnsent() ?? [];
                await events.WriteAsync(s => new ResponseTextDeltaEvent("response.output_text.delta", s, id, 0, Content, delta) { Logprobs = sent });
            }
        }
    }
}
