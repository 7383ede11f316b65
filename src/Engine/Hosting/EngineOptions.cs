using MambaServe.Engine.Backends;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.State;

namespace MambaServe.Engine.Hosting;

/// <summary>Everything needed to build a serving engine for one model; immutable.</summary>
/// <param name="Threads">CPU threads for the matrix products (null: libtorch's default, one per core).</param>
/// <param name="Device">Which backend computes (<see cref="RunnerBackends"/>); Auto takes a usable GPU, else the CPU.</param>
public sealed record EngineOptions(SchedulerOptions Scheduler, StatePoolOptions StatePool, int? Threads = null, DeviceKind Device = DeviceKind.Auto)
{
    /// <summary>The compute type asked for; a backend that cannot honour it refuses to load.</summary>
    public ModelDType DType { get; init; } = ModelDType.Auto;

    public static EngineOptions Default { get; } = new(new SchedulerOptions(), new StatePoolOptions());
}
