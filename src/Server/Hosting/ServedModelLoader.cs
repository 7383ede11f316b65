using MambaServe.Engine.Conversations;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.State;
using MambaServe.Engine.Telemetry;
using MambaServe.Server.Cli;
using Microsoft.Extensions.Options;

namespace MambaServe.Server.Hosting;

/// <summary>Resolves <see cref="ModelOptions.Path"/> (folder, hub id or the embedded default) and loads it with its engine.</summary>
public sealed class ServedModelLoader(
    IOptions<ModelOptions> model, IOptions<SchedulerOptions> scheduler, IOptions<StatePoolOptions> statePool, IOptions<StateStoreOptions> stateStore,
    EngineMetrics metrics, ILoggerFactory loggers) : IModelLoader
{
    public async Task<IServedModel> LoadAsync(CancellationToken cancellationToken)
    {
        var directory = await ModelSource.ResolveAsync(model.Value.Path, cancellationToken);
        var name = string.IsNullOrWhiteSpace(model.Value.Name) ? Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)) : model.Value.Name;
        var options = new EngineOptions(scheduler.Value, statePool.Value, model.Value.Threads, model.Value.Device);
        // Loading maps weights and builds the runner: CPU work, kept off the host's startup path.
        var served = await Task.Run(() => ServedModel.Load(directory, name, options, metrics), cancellationToken);
        try
        {
            return new ServedModelAdapter(served, stateStore.Value, loggers.CreateLogger("MambaServe.StateStore"));
        }
        catch
        {
            // A chat template that does not parse fails the load; the started engine must not outlive it.
            await served.DisposeAsync();
            throw;
        }
    }
}
