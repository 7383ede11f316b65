namespace MambaServe.Engine.Backends;

/// <summary>
/// One way to compute: a backend assembly names its implementations with <see cref="RunnerBackendAttribute"/>, and
/// <see cref="RunnerBackends"/> finds them at run time, so the server needs no compile-time reference to any backend
/// and a build can leave one out (a GPU image ships no libtorch).
/// </summary>
public interface IRunnerBackend
{
    /// <summary><see cref="DeviceKind.Cpu"/>, <see cref="DeviceKind.Cuda"/> or <see cref="DeviceKind.Rocm"/>.</summary>
    DeviceKind Kind { get; }

    /// <summary>
    /// Null when this backend can run on this machine; otherwise one line saying why not (its library is missing, no
    /// device is visible, the driver or a permission is missing). Cheap: no model is loaded.
    /// </summary>
    string? WhyUnavailable();

    /// <summary>Builds a runner for the model <paramref name="options"/> describe.</summary>
    IModelRunner CreateRunner(RunnerOptions options);
}
