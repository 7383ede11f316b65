using MambaServe.Server.OpenAi;

namespace MambaServe.Server.Hosting;

/// <summary>
/// Loads the model in the background at start (so the process answers /health/live and /health 503 while weights
/// load) and disposes it at stop, which stops the engine loop gracefully after the server stopped taking requests.
/// </summary>
public sealed partial class ModelHost(IModelLoader loader, ILogger<ModelHost> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loading = Task.CompletedTask;
    private volatile IServedModel? _model;

    /// <summary>The served model, or null while loading (or after a failed load).</summary>
    public IServedModel? Model => _model;

    /// <summary>Why loading failed, if it did.</summary>
    public string? LoadFailure { get; private set; }

    /// <summary>The served model; throws the 503 "not ready" error while it loads.</summary>
    public IServedModel Require() =>
        _model ?? throw new ApiException(503, LoadFailure is null ? "The model is still loading." : $"The model failed to load: {LoadFailure}",
            ApiException.ServiceUnavailable, null, "model_not_ready");

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

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loading = Task.Run(LoadAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loading.ConfigureAwait(false);
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
            LogLoaded(model.Name);
            if (model.Tokenizer is not null && model.ChatTemplate is null)
            {
                LogDefaultChatTemplate(model.Name);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Keep the process up: /health stays 503 with the reason, so an orchestrator sees why.
            LoadFailure = ex.Message;
            LogLoadFailed(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} loaded; serving")]
    private partial void LogLoaded(string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} has no chat_template; chat uses the documented default template (docs/server.md)")]
    private partial void LogDefaultChatTemplate(string model);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model failed to load")]
    private partial void LogLoadFailed(Exception ex);
}
