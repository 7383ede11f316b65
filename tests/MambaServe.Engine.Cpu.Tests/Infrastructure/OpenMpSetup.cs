using System.Runtime.CompilerServices;

namespace MambaServe.Engine.Cpu.Tests.Infrastructure;

/// <summary>
/// Some tests call TorchSharp before any code of the CPU backend runs (the kernel references), so the backend's
/// OMP_WAIT_POLICY setting is applied when this assembly loads instead, before libtorch's OpenMP runtime starts.
/// </summary>
internal static class OpenMpSetup
{
#pragma warning disable CA2255 // A module initializer in a test assembly: it must run before the first TorchSharp call.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply() => OpenMpWaitPolicy.Apply();
}
