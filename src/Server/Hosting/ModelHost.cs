using MambaServe.Server.OpenAi;

namespace MambaServe.Server.Hosting;

/// <summary>
/// Loads the model in the background at start (so the process answers /health/live and /health 503 while weights
/// load); a load that fails stops the application, which then exits non-zero (ServerRunner), so a supervisor
/// restarts it or reports it instead of watching a 503 forever. At shutdown it stops the engine before the web
/// server drains: in-flight requests get the grace period and then end with finish reason abort, so every client
/// gets a complete answer rather than a reset connection.
/// </summary>
public sealed partial class ModelHost(IModelLoader loader, IHostApplicationLifetime lifetime, ILogger<ModelHost> logger) : IHostedLifecycleService
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _disposeLock = new();
    private Task _loading = Task.CompletedTask;
    private volatile IServedModel? _model;
    private volatile bool _shuttingDown;
    private Task? _disposal;

    /// <summary>The served model, or null while loading (or after a failed load).</summary>
    public IServedModel? Model => _model;

    /// <summary>Why loading failed, if it did.</summary>
    public string? LoadFailure { get; private set; }

    /// <summary>The served model; throws the 503 "not ready" error while it loads or once shutdown began.</summary>
    public IServedModel Require()
    {
        if (_shuttingDown)
        {
            throw new ApiException(503, "The server is shutting down.", ApiException.ServiceUnavailable, null, "engine_stopped");
        }

        return _model ?? throw new ApiException(503, LoadFailure is null ? "The model is still loading." : $"The model failed to load: {LoadFailure}",
            ApiException.ServiceUnavailable, null, "model_not_ready");
    }

    /// <summary>The served model if <paramref name="requested"/> names it (empty names it too); else 404.</summary>
    public IServedModel Require(string? requested)
    {
        var model = Require();
        if (!string.IsNullOrEmpty(requested) && requested != model.Name)
        {
            throw new ApiException(404, $"The model `{requested}` does not exist.", ApiException.InvalidRequest, "model", "model_not_found");
        }

        return model;
    }

    /// <summary>
    /// The host failed to start (its one line is already logged): the background load is cancelled, and whatever it
    /// throws while the host is torn down around it is not reported as a second failure.
    /// </summary>
    public void Abandon()
    {
        _shuttingDown = true;
        _stopping.Cancel();
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loading = Task.Run(LoadAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Runs before any hosted service stops, the web server included: the engine gets its grace period while
    /// Kestrel still serves the in-flight responses, and Kestrel's own drain then finds them finished.
    /// <paramref name="cancellationToken"/> is the host's shutdown timeout, set above the grace period.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _shuttingDown = true;
        await _stopping.CancelAsync();
        await _loading.ConfigureAwait(false);
        if (_model is { } model)
        {
            await model.StopAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Disposes the model, whose state store then finishes writing its queued responses to disk. The host's stop can
    /// run twice at once: an <c>IHost.StopAsync</c> call while <c>RunAsync</c> runs (WebApplicationFactory's dispose is
    /// one) stops the host, and <c>RunAsync</c>, seeing the application stop, stops it too. Every call waits for the one
    /// disposal, so that neither returns while the store still writes: whoever stopped the host may then take the state
    /// directory for complete (a restart on it, a test), not only the caller whose stop did the disposing.
    /// </summary>
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        lock (_disposeLock)
        {
            return _disposal ??= DisposeModelAsync();
        }
    }

    private async Task DisposeModelAsync()
    {
        await Task.Yield(); // the disposal runs outside the lock
        if (_model is { } model)
        {
            _model = null;
            await model.DisposeAsync();
        }
    }

    private async Task LoadAsync()
    {
        try
        {
            var model = await loader.LoadAsync(_stopping.Token);
            _model = model;
            LogLoaded(model.Name, model.Device);
            if (model.Tokenizer is not null && model.ChatTemplate is null)
            {
                LogDefaultChatTemplate(model.Name);
            }
        }
        catch (Exception ex) when (_stopping.IsCancellationRequested)
        {
            // Stopped or abandoned mid-load (a start-up failure elsewhere, such as a taken port, tears the host down
            // around the load): whatever the load threw then is an echo of that, not a reason of its own.
            LogLoadInterrupted(ex);
        }
        catch (Exception ex)
        {
            // One line that says why (the message names the file, id or setting); the trace only at Debug. Then
            // the process ends non-zero, as vLLM's does, rather than serving 503 forever.
            LoadFailure = ex.Message;
            LogLoadFailed(ex.Message);
            LogLoadFailedDetail(ex);
            lifetime.StopApplication();
        }
    }

    // The device line says what was chosen where the settings left it open (auto's backend, weight type and threads).
    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} loaded on {Device}; serving")]
    private partial void LogLoaded(string model, string device);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} has no chat_template; chat uses the documented default template (docs/server.md)")]
    private partial void LogDefaultChatTemplate(string model);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Model failed to load: {Reason}")]
    private partial void LogLoadFailed(string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Model load interrupted by shutdown")]
    private partial void LogLoadInterrupted(Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Model load failure detail")]
    private partial void LogLoadFailedDetail(Exception ex);
}
