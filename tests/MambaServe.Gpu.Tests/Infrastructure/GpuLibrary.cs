using System.Runtime.CompilerServices;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Gpu;
using MambaServe.Engine.Gpu.Interop;

namespace MambaServe.Gpu.Tests.Infrastructure;

/// <summary>
/// The GPU backend this process tests: CUDA, else ROCm, probed once before any test (a process binds its model
/// P/Invokes to one library). Where neither library loads and sees a device, <see cref="SkipReason"/> says why and
/// every test skips with it: CI has no GPU.
/// </summary>
internal static class GpuLibrary
{
    public static GpuRunnerBackend? Backend { get; private set; }

    /// <summary>Null when a device is present.</summary>
    public static string? SkipReason { get; private set; } = "not probed";

#pragma warning disable CA2255 // A module initializer in a test assembly: the library must be chosen before the first P/Invoke.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Probe()
    {
        var nativeDir = Environment.GetEnvironmentVariable(NativeLibraryLocator.NativeDirVariable);
        var reasons = new List<string>();
        foreach (var backend in new GpuRunnerBackend[] { new CudaRunnerBackend(), new RocmRunnerBackend() })
        {
            var (path, _, reason) = backend.Probe(nativeDir);
            if (reason is null)
            {
                ModelLibrary.Use(path!);
                Backend = backend;
                SkipReason = null;
                return;
            }

            reasons.Add($"{RunnerBackends.Name(backend.Kind)}: {reason}");
        }

        SkipReason = $"No GPU device here ({string.Join("; ", reasons)}).";
    }

    /// <summary>Skips the calling test where there is no GPU.</summary>
    public static GpuRunnerBackend Require()
    {
        if (SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }

        return Backend!;
    }
}
