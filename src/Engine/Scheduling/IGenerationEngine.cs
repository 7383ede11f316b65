using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Scheduling;

/// <summary>
/// What the server calls to generate. Thread-safe. Every request is served by one engine loop thread that owns the
/// model runner; updates arrive per step, one <see cref="GenerationUpdate"/> per sample per step.
/// </summary>
public interface IGenerationEngine
{
    /// <summary>
    /// Admits <paramref name="request"/> at once (so overload is reported before any response is started) and returns
    /// its updates. Each sample's last update carries <see cref="GenerationUpdate.Finish"/> and usage.
    /// Throws at call time: <see cref="EngineOverloadedException"/> (queue full), <see cref="EngineStoppedException"/>
    /// (not running), <see cref="ArgumentException"/> (empty prompt, n &lt; 1, n above the running limit).
    /// Throws while enumerating: <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/>
    /// fires (the request is aborted and its slots freed at the next step; stopping the enumeration early does the
    /// same), <see cref="GenerationTimeoutException"/>, <see cref="GenerationFailedException"/>. At shutdown past
    /// the grace period, unfinished samples end with <see cref="FinishReason.Abort"/>.
    /// </summary>
    IAsyncEnumerable<GenerationUpdate> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default);
}
