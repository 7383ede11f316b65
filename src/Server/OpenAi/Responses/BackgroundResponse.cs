namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// One running background response (<see cref="BackgroundResponses"/>): its draft, whose key made it, how to stop it,
/// and, once its run has ended, the final response object (<see cref="Final"/>, answered until the store has it).
/// </summary>
public sealed class BackgroundResponse(ResponseDraft draft, string owner, CancellationTokenSource cancellation, ResponseEventLog? events = null)
{
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ResponseObject? _final;
    private volatile bool _cancelRequested;
    private volatile bool _deleted;

    public ResponseDraft Draft => draft;

    public string Owner => owner;

    /// <summary>The stream's events, when the response was asked with stream.</summary>
    public ResponseEventLog? Events => events;

    /// <summary>Cancelled by a cancel, a delete or the shutdown timeout.</summary>
    public CancellationToken Token => cancellation.Token;

    /// <summary>The task that reads the run to its end and stores the outcome.</summary>
    public Task Task { get; set; } = Task.CompletedTask;

    public ResponseObject? Final { get => _final; set => _final = value; }

    public bool CancelRequested => _cancelRequested;

    /// <summary>Deleted while running: the outcome is not stored.</summary>
    public bool Deleted => _deleted;

    /// <summary>What GET answers now: the final response once the run has ended, else queued or in_progress.</summary>
    public ResponseObject Current() => Final ?? draft.Running();

    /// <summary>Stops the run; the response ends cancelled (unless it had already ended).</summary>
    public async Task CancelAsync()
    {
        _cancelRequested = true;
        await cancellation.CancelAsync();
    }

    /// <summary>Stops the run at shutdown: the response ends incomplete (interrupted), not cancelled.</summary>
    public Task InterruptAsync() => cancellation.CancelAsync();

    /// <summary>Stops the run and keeps nothing of it.</summary>
    public Task DeleteAsync()
    {
        _deleted = true;
        return CancelAsync();
    }

    /// <summary>Waits until the run has ended and its outcome is stored (or dropped).</summary>
    public Task WaitAsync(CancellationToken ct) => _ended.Task.WaitAsync(ct);

    // The cancellation is not disposed: a cancel that comes as the run ends must still find it usable.
    internal void Ended() => _ended.TrySetResult();
}
