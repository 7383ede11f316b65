using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>Streams a chat run as OpenAI does: a role delta per choice first, then content deltas, finish, optional usage, [DONE].</summary>
public static class ChatStreamer
{
    public static async Task StreamAsync(HttpContext http, GenerationRun run, ChatLogprobsMapper? mapper, int n, string id, long created, string model, bool includeUsage)
    {
        var sse = new SseWriter(http.Response);
        await sse.StartAsync();
        try
        {
            for (int i = 0; i < n; i++)
            {
                await sse.WriteAsync(new ChatChunk(id, created, model, [new ChatChunkChoice(i, new ChatDelta("assistant", string.Empty), null, null)], null));
            }

            await foreach (var item in run.ReadAllAsync(http.RequestAborted))
            {
                var update = item.Update;
                if (update.TextDelta.Length == 0 && update.Finish is null && mapper is null)
                {
                    continue;
                }

                var choice = new ChatChunkChoice(item.Choice, new ChatDelta(null, update.TextDelta), mapper?.Map(update.Logprobs), FinishReasons.ToWire(update.Finish));
                await sse.WriteAsync(new ChatChunk(id, created, model, [choice], null));
            }
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
        {
            run.MarkFailed(ex);
            await sse.WriteErrorAsync(ex);
            return;
        }

        if (includeUsage)
        {
            await sse.WriteAsync(new ChatChunk(id, created, model, [], new UsageInfo(run.PromptTokens, run.CompletionTokens)));
        }

        await sse.WriteDoneAsync();
    }
}
