using MambaServe.Engine.Backends;
using MambaServe.Engine.Gpu.Interop;

namespace MambaServe.Engine.Gpu;

/// <summary>
/// A GPU backend as <see cref="RunnerBackends"/> finds it: its library file (beside this assembly or in
/// <c>MAMBASERVE_NATIVE_DIR</c>) must load and see a device; then <see cref="CreateRunner"/> binds the process's
/// model P/Invokes to it and builds a <see cref="GpuModelRunner"/> on device 0.
/// </summary>
public abstract class GpuRunnerBackend : IRunnerBackend
{
    private readonly string _libraryFile;
    private readonly string _vendor;

    private protected GpuRunnerBackend(DeviceKind kind, string libraryFile, string vendor)
    {
        Kind = kind;
        _libraryFile = libraryFile;
        _vendor = vendor;
    }

    public DeviceKind Kind { get; }

    public string? WhyUnavailable() => Probe(Environment.GetEnvironmentVariable(NativeLibraryLocator.NativeDirVariable)).Reason;

    public IModelRunner CreateRunner(RunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var probe = Probe(Environment.GetEnvironmentVariable(NativeLibraryLocator.NativeDirVariable));
        if (probe.Reason is { } reason)
        {
            throw new BackendUnavailableException($"Device '{RunnerBackends.Name(Kind)}' is not available: {reason}");
        }

        ModelLibrary.Use(probe.Path!);
        return GpuModelRunner.Create(options, probe.Device!);
    }

    /// <summary>The library's path and device 0, or one line saying why this backend cannot run.</summary>
    internal (string? Path, GpuDevice? Device, string? Reason) Probe(string? nativeDir)
    {
        if (NativeLibraryLocator.Find(_libraryFile, nativeDir) is not { } path)
        {
            return (null, null, NativeLibraryLocator.NotFound(_libraryFile, nativeDir));
        }

        var (info, error) = DeviceProbe.Query(path, 0);
        if (error is not null)
        {
            return (path, null, error);
        }

        var found = info!.Value;
        return found.Count > 0 && found.Reason.Length == 0
            ? (path, new GpuDevice(Kind, 0, $"{RunnerBackends.Name(Kind)}:0 {found.Name}", IsReference: false), null)
            : (path, null, $"{_libraryFile} sees no {_vendor} device: {(found.Reason.Length > 0 ? found.Reason : "device count 0")}");
    }
}
