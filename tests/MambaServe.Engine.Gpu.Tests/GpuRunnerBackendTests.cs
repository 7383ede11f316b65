using MambaServe.Engine.Backends;
using MambaServe.Engine.Gpu.Interop;
using MambaServe.Engine.Gpu.Tests.Infrastructure;
using MambaServe.Engine.Loading;
using MambaServe.Engine.State;

namespace MambaServe.Engine.Gpu.Tests;

/// <summary>
/// Backend selection without a GPU: each reason an explicit cuda or rocm cannot run is one line naming the cause
/// (library not found, cannot be loaded, no device as the library reports it).
/// </summary>
public sealed class GpuRunnerBackendTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("msv-native-").FullName;

    [Fact]
    public void Probe_NoLibraryAnywhere_SaysWhereItLooked()
    {
        var reason = new CudaRunnerBackend().Probe(nativeDir: null).Reason;

        Assert.StartsWith($"libmambaserve_cuda.so was not found beside MambaServe.Engine.Gpu.dll ({NativeLibraryLocator.AssemblyDirectory}) and MAMBASERVE_NATIVE_DIR is not set", reason, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', reason!);
        Assert.Contains($"or in MAMBASERVE_NATIVE_DIR ({_dir})", new RocmRunnerBackend().Probe(_dir).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_LibraryInNativeDirWithoutDevice_SaysTheLibrarysReason()
    {
        // The reference library answers msv_device_query like a GPU library on a host without a device.
        File.Copy(ReferenceLibrary.Path, Path.Combine(_dir, "libmambaserve_cuda.so"));

        var probe = new CudaRunnerBackend().Probe(_dir);

        Assert.Equal("libmambaserve_cuda.so sees no CUDA device: cpu library", probe.Reason);
        Assert.Equal(Path.Combine(_dir, "libmambaserve_cuda.so"), probe.Path);
    }

    [Fact]
    public void Probe_FileThatIsNoLibrary_SaysItCannotBeLoaded()
    {
        File.WriteAllText(Path.Combine(_dir, "libmambaserve_hip.so"), "not an ELF file");

        var reason = new RocmRunnerBackend().Probe(_dir).Reason;

        Assert.StartsWith("libmambaserve_hip.so cannot be loaded: ", reason, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', reason!);
    }

    [Fact]
    public void Resolve_ExplicitCudaWithoutLibrary_OneLineBackendUnavailable()
    {
        Assert.SkipWhen(Environment.GetEnvironmentVariable(NativeLibraryLocator.NativeDirVariable) is not null, "MAMBASERVE_NATIVE_DIR is set here");

        var ex = Assert.Throws<BackendUnavailableException>(() => RunnerBackends.Resolve(DeviceKind.Cuda));
        var create = Assert.Throws<BackendUnavailableException>(() => new CudaRunnerBackend().CreateRunner(
            new RunnerOptions(new InMemoryWeightSource(RandomCheckpoint.Mamba130mShape, null!), new StatePoolOptions(), 10)));

        Assert.StartsWith("Device 'cuda' is not available: libmambaserve_cuda.so was not found beside", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ex.Message, create.Message);
    }

    [Fact]
    public void Discover_ThisBuild_HoldsTheCudaAndRocmBackends()
    {
        var kinds = RunnerBackends.Discover().Select(b => b.Kind).ToList();

        Assert.Contains(DeviceKind.Cuda, kinds);
        Assert.Contains(DeviceKind.Rocm, kinds);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
