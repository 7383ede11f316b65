namespace MambaServe.Engine.Backends;

/// <summary>
/// Runs work that needs the model runner on the engine loop thread, between steps (a runner is not thread-safe):
/// disposing state snapshots that other threads hold, for instance. Once the loop has stopped, the operation runs on
/// the caller's thread (nothing else uses the runner then).
/// </summary>
public interface IRunnerOperations
{
    /// <summary>Queues <paramref name="operation"/>; the task completes after it ran (faulted with what it threw).</summary>
    Task RunAsync(Action<IModelRunner> operation);
}
