using System.Collections.Concurrent;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// Responses created with <c>background: true</c> while they run: each reads its run to the end on its own task,
/// not on the request that created it, then stores its outcome (completed, incomplete, cancelled or failed) for GET;
/// one asked with stream writes its events to a log that the creating request and later GETs follow.
/// Until then GET answers from here (queued, then in_progress), cancel stops the run, and DELETE stops it and keeps
/// nothing. At shutdown the engine has already been told to stop (<see cref="ModelHost.StoppingAsync"/>): the runs end
/// within its grace period, and this service waits for them to store what they ended with before the model and its
/// state store are disposed; any left at the host's shutdown timeout are stopped and stored as interrupted.
/// </summary>
public sealed partial class BackgroundResponses(ILogger<BackgroundResponses> logger) : IHostedService
{
    private readonly ConcurrentDictionary<string, BackgroundResponse> _running = new(StringComparer.Ordinal);

    /// <summary>The cancellation a background run starts with (before the run exists, as <see cref="GenerationRun.StartAsync"/> takes it).</summary>
    public static CancellationTokenSource NewCancellation() => new();

    /// <summary>
    /// Takes over <paramref name="run"/> and <paramref name="draft"/>; returns the response as created (queued). With
    /// <paramref name="events"/>, the run streams its events there (the response was asked with stream).
    /// </summary>
    public ResponseObject Start(GenerationRun run, ResponseDraft draft, string owner, CancellationTokenSource cancellation, ResponseEventLog? events = null)
    {
        var response = new BackgroundResponse(draft, owner, cancellation, events);
        _running[draft.Id] = response;
        response.Task = Task.Run(() => ReadToTheEndAsync(run, response));
        return draft.Running();
    }

    /// <summary>The running background response <paramref name="id"/> of <paramref name="owner"/>, or null.</summary>
    public BackgroundResponse? Find(string id, string owner) =>
        _running.TryGetValue(id, out var response) && response.Owner == owner ? response : null;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var tasks = _running.Values.Select(r => r.Task).ToArray();
        try
        {
            await Task.WhenAll(tasks).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            foreach (var response in _running.Values)
            {
                await response.InterruptAsync();
            }

            await Task.WhenAll(tasks);
        }
    }

    private async Task ReadToTheEndAsync(GenerationRun run, BackgroundResponse response)
    {
        var draft = response.Draft;
        try
        {
            await using (run)
            {
                ResponseObject final;
                try
                {
                    final = response.Events is { } events
                        ? await ResponseStreamer.StreamAsync(events, run, draft, response.Token)
                        : await ReadAsync(run, draft);
                }
                catch (OperationCanceledException)
                {
                    // Cancelled by the client, or stopped at the shutdown timeout (then incomplete: interrupted).
                    final = response.CancelRequested ? draft.Cancelled(run) : draft.Completed(run);
                    if (final.Status == "incomplete" && response.Events is { } events)
                    {
                        await events.WriteAsync(s => new ResponseLifecycleEvent("response.incomplete", s, final));
                    }
                }
                catch (Exception ex)
                {
                    run.MarkFailed(ex);
                    final = draft.Failed(run, ApiErrors.From(ex));
                }

                response.Final = final;
                if (!response.Deleted)
                {
                    draft.Commit(final, run); // a streamed one is stored already: this does nothing then
                }
            }
        }
        catch (Exception ex)
        {
            // Storing the outcome failed (the store is disposed, the disk is full): GET will answer 404.
            LogNotStored(draft.Id, ex);
        }
        finally
        {
            response.Events?.End();
            draft.Abandon();
            _running.TryRemove(draft.Id, out _);
            response.Ended();
        }
    }

    private static async Task<ResponseObject> ReadAsync(GenerationRun run, ResponseDraft draft)
    {
        await foreach (var item in run.ReadAllAsync(CancellationToken.None))
        {
            draft.Append(item.Update);
        }

        return draft.Completed(run);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Background response {Id} ended but could not be stored")]
    private partial void LogNotStored(string id, Exception ex);
}
