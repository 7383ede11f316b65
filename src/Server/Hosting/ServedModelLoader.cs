using MambaServe.Engine.Backends;
using MambaServe.Engine.Conversations;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading.Hub;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.State;
using MambaServe.Engine.Telemetry;
using MambaServe.Server.Cli;
using Microsoft.Extensions.Options;

namespace MambaServe.Server.Hosting;

/// <summary>
/// Resolves <see cref="ModelOptions.Path"/> (folder, hub id or the embedded default) and loads it with its engine,
/// served under <see cref="ModelOptions.Name"/>, else the hub id, else the folder's name.
/// </summary>
public sealed partial class ServedModelLoader(
    IOptions<ModelOptions> model, IOptions<SchedulerOptions> scheduler, IOptions<StatePoolOptions> statePool, IOptions<StateStoreOptions> stateStore,
    EngineMetrics metrics, HubOptions hub, ILogger<ServedModelLoader> logger, ILoggerFactory loggers,
    SchedulerSettingsGiven? schedulerGiven = null) : IModelLoader
{
    public async Task<IServedModel> LoadAsync(CancellationToken cancellationToken)
    {
        var settings = model.Value;
        var resolved = await ModelSource.ResolveModelAsync(settings.Path, hub, LogHubWarning, cancellationToken);
        var name = string.IsNullOrWhiteSpace(settings.Name) ? resolved.DefaultName : settings.Name;
        // On a GPU the scheduler settings the deployment left out take the GPU's defaults (GpuSchedulerDefaults). The
        // backend resolved here is the one the model loads on (null: none can run, and the load says why).
        var backend = TryResolve(settings.Device);
        var device = backend?.Kind ?? settings.Device;
        var given = schedulerGiven ?? SchedulerSettingsGiven.None;
        var limits = GpuSchedulerDefaults.Apply(scheduler.Value, device, given.Contains);
        LogSchedulerLimits(RunnerBackends.Name(device), limits.MaxRunningSequences, limits.MaxBatchTokensPerStep, limits.PrefillChunkSize, limits.MaxWaitingRequests);
        var options = new EngineOptions(limits, Slots(statePool.Value, limits), settings.Threads, device) { DType = settings.DType };
        // Loading maps weights and builds the runner: CPU work, kept off the host's startup path.
        var served = await Task.Run(() => ServedModel.Load(resolved.Directory, name, options, metrics, backend), cancellationToken);
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

    /// <summary>
    /// Without a slot count or memory budget, at most one state slot per sequence the scheduler may run
    /// (--max-num-seqs): the CPU takes exactly that many, a GPU as many of them as fit in free device memory.
    /// </summary>
    public static StatePoolOptions Slots(StatePoolOptions pool, SchedulerOptions scheduler) =>
        pool.SlotCount is null && pool.MemoryBudgetBytes is null ? pool with { SlotLimit = pool.SlotLimit ?? scheduler.MaxRunningSequences } : pool;

    /// <summary>
    /// The backend <paramref name="device"/> takes (auto: the first usable one), or null when none can run, so that
    /// the load fails with its own message. Cheap: no model is loaded.
    /// </summary>
    private static IRunnerBackend? TryResolve(DeviceKind device)
    {
        try
        {
            return RunnerBackends.Resolve(device);
        }
        catch (BackendUnavailableException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduler on {Device}: {Sequences} sequences, {Tokens} tokens a step, prefill chunks of {Chunk} tokens, up to {Waiting} requests waiting")]
    private partial void LogSchedulerLimits(string device, int sequences, int tokens, int chunk, int waiting);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private partial void LogHubWarning(string warning);
}
