using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// Streams a response as OpenAI does: <c>response.created</c>, <c>response.in_progress</c>, the output item and its
/// text part added, one <c>response.output_text.delta</c> per engine update with text, then the text, part and item
/// done, and <c>response.completed</c> (<c>response.incomplete</c> when max_output_tokens cut it). A failure after the
/// stream started is one <c>response.failed</c> event carrying the error. The text is kept only because the done
/// events and the final response repeat it.
/// </summary>
public static class ResponseStreamer
{
    private const int Output = 0, Content = 0;

    public static async Task StreamAsync(HttpContext http, GenerationRun run, ResponseDraft draft)
    {
        var events = new ResponseEventWriter(http.Response);
        await events.StartAsync();
        var started = draft.InProgress();
        await events.WriteAsync(s => new ResponseLifecycleEvent("response.created", s, started));
        await events.WriteAsync(s => new ResponseLifecycleEvent("response.in_progress", s, started));
        await events.WriteAsync(s => new ResponseOutputItemEvent("response.output_item.added", s, Output, new(draft.MessageId, "in_progress", [])));
        await events.WriteAsync(s => new ResponseContentPartEvent("response.content_part.added", s, draft.MessageId, Output, Content, new(string.Empty)));
        try
        {
            await foreach (var item in run.ReadAllAsync(http.RequestAborted))
            {
                draft.Append(item.Update);
                if (item.Update.TextDelta.Length > 0)
                {
                    await events.WriteAsync(s => new ResponseTextDeltaEvent("response.output_text.delta", s, draft.MessageId, Output, Content, item.Update.TextDelta));
                }
            }
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
        {
            run.MarkFailed(ex);
            var failed = draft.Failed(run, ApiErrors.From(ex));
            await events.WriteAsync(s => new ResponseLifecycleEvent("response.failed", s, failed));
            return;
        }

        var response = draft.Completed(run);
        draft.Commit(response, run);
        var text = draft.Text;
        await events.WriteAsync(s => new ResponseTextDoneEvent("response.output_text.done", s, draft.MessageId, Output, Content, text));
        await events.WriteAsync(s => new ResponseContentPartEvent("response.content_part.done", s, draft.MessageId, Output, Content, new(text)));
        await events.WriteAsync(s => new ResponseOutputItemEvent("response.output_item.done", s, Output, response.Output[0]));
        var final = response.Status == "completed" ? "response.completed" : "response.incomplete";
        await events.WriteAsync(s => new ResponseLifecycleEvent(final, s, response));
    }
}
