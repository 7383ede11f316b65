using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>Streams a chat run as OpenAI does: a role delta per choice first, then content deltas, finish, optional usage, [DONE].</summary>
public static class ChatStreamer
{
    /// <param name="answer">
    /// Logprobs, vLLM's return_token_ids (the prompt's ids in the first chunk, then each chunk's new ids), and a forced
    /// tool call (its arguments stream as tool_calls deltas, the first with the call's id and name).
    /// </param>
    public static async Task StreamAsync(
        HttpContext http, GenerationRun run, int n, string id, long created, string model, StreamOptions? options, ChatAnswer answer)
    {
        var (mapper, promptIds) = (answer.Logprobs, answer.PromptIds);
        var started = new bool[n];
        // vLLM's continuous_usage_stats: each chunk carries its choice's tokens so far (the role chunks none yet).
        int[]? generated = StreamOptions.ContinuousUsage(options) ? new int[n] : null;
        UsageInfo? UsageOf(int choice) => generated is null ? null : new UsageInfo(run.PromptTokens, generated[choice]);
        var sse = new SseWriter(http.Response);
        await sse.StartAsync();
        try
        {
            for (int i = 0; i < n; i++)
            {
                var role = new ChatChunkChoice(i, new ChatDelta("assistant", string.Empty), null, null);
                await sse.WriteAsync(new ChatChunk(id, created, model, [role], UsageOf(i), i == 0 ? promptIds : null));
            }

            await foreach (var item in run.ReadAllAsync(http.RequestAborted))
            {
                var update = item.Update;
                if (generated is not null)
                {
                    generated[item.Choice] += update.TokenIds.Count;
                }

                // A token whose text is not complete yet (part of a UTF-8 sequence) still goes out when its id is asked for.
                bool newIds = promptIds is not null && update.TokenIds.Count > 0;
                if (update.TextDelta.Length == 0 && update.Finish is null && mapper is null && !newIds)
                {
                    continue;
                }

                var delta = answer.Delta(item.Choice, update.TextDelta, first: !started[item.Choice], last: update.Finish is not null);
                if (delta is { Content: "", ToolCalls: null } && update.Finish is null && mapper is null && !newIds)
                {
                    continue; // an auto tool choice holds this text back for now
                }

                started[item.Choice] = true;
                var choice = new ChatChunkChoice(
                    item.Choice, delta, mapper?.Map(update.Logprobs), answer.Finish(item.Choice, FinishReasons.ToWire(update.Finish)),
                    promptIds is null ? null : update.TokenIds);
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
            await sse.WriteAsync(new ChatChunk(id, created, model, [], UsageInfo.Final(run, run.CompletionTokens)));
        }

        await sse.WriteDoneAsync();
    }
}
