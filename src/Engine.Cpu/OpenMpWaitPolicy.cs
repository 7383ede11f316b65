using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MambaServe.Engine.Cpu;

/// <summary>
/// Makes idle OpenMP threads sleep instead of spin. The CPU backend has two OpenMP runtimes in one process (libtorch's
/// bundled libgomp for the matrix products, the system libgomp in libmambaserve_cpu for the kernels): with the
/// default spin-wait each runtime's idle threads burn the cores the other needs, which made decode up to 10x slower
/// on a 2-core machine (docs/benchmarks.md). OpenMP reads OMP_WAIT_POLICY once, when each runtime loads, so it must be
/// in the native environment before the first TorchSharp call; .NET's Environment.SetEnvironmentVariable does not
/// reach the native environment on Unix, hence setenv. A value the user set is kept.
/// </summary>
internal static partial class OpenMpWaitPolicy
{
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

#pragma warning disable CA2255 // A library module initializer is the point: it runs before any code of this assembly calls libtorch.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null) return;
        try
        {
            SetEnv("OMP_WAIT_POLICY", "PASSIVE", overwrite: 0);
        }
        catch (DllNotFoundException)
        {
            // No libc to call (unusual libc layout): keep OpenMP's default; only speed is affected.
        }
    }
}
