using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>Streams a chat run as OpenAI does: a role delta per choice first, then content deltas, finish, optional usage, [DONE].</summary>
public static class ChatStreamer
{
    public static async Task StreamAsync(HttpContext http, GenerationRun run, ChatLogprobsMapper? mapper, int n, string id, long created, string model, StreamOptions? options)
    {
        // vLLM's continuous_usage_stats: each chunk carries its choice's tokens so far (the role chunks none yet).
        int[]? generated = StreamOptions.ContinuousUsage(options) ? new int[n] : null;
        UsageInfo? UsageOf(int choice) => generated is null ? null : new UsageInfo(run.PromptTokens, generated[choice]);
        var sse = new SseWriter(http.Response);
        await sse.StartAsync();
        try
        {
            for (int i = 0; i < n; i++)
            {
                await sse.WriteAsync(new ChatChunk(id, created, model, [new ChatChunkChoice(i, new ChatDelta("assistant", string.Empty), null, null)], UsageOf(i)));
            }

            await foreach (var item in run.ReadAllAsync(http.RequestAborted))
            {
                var update = item.Update;
                if (generated is not null)
                {
                    generated[item.Choice] += update.TokenIds.Count;
                }

                if (update.TextDelta.Length == 0 && update.Finish is null && mapper is null)
                {
                    continue;
                }

                var choice = new ChatChunkChoice(item.Choice, new ChatDelta(null, update.TextDelta), mapper?.Map(update.Logprobs), FinishReasons.ToWire(update.Finish));
                await sse.WriteAsync(new ChatChunk(id, created, model, [choice], UsageOf(item.Choice)));
            }
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
        {
            run.MarkFailed(ex);
            await sse.WriteErrorAsync(ex);
            return;
        }

        if (StreamOptions.FinalUsage(options))
        {
            await sse.WriteAsync(new ChatChunk(id, created, model, [], new UsageInfo(run.PromptTokens, run.CompletionTokens)));
        }

        await sse.WriteDoneAsync();
    }
}
