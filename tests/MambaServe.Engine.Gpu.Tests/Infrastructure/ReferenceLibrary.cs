using System.Runtime.CompilerServices;
using MambaServe.Engine.Gpu.Interop;

namespace MambaServe.Engine.Gpu.Tests.Infrastructure;

/// <summary>
/// Binds this test process's model P/Invokes to libmambaserve_cpu.so (the fp32 reference model, copied beside the
/// tests by the build) before any test runs: a process uses one model library, and here it is the reference.
/// </summary>
internal static class ReferenceLibrary
{
    public const string FileName = "libmambaserve_cpu.so";

    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, FileName);

#pragma warning disable CA2255 // A module initializer in a test assembly: the library must be chosen before the first P/Invoke.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Bind() => ModelLibrary.Use(Path);
}
