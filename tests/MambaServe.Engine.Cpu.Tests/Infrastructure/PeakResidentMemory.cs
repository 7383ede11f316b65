using MambaServe.Server.Cli.Bench.Gpu;

namespace MambaServe.Engine.Cpu.Tests.Infrastructure;

/// <summary>
/// The process's peak resident memory (<see cref="HostMemory"/>, linked from the server's bench), with the peak reset
/// to the present by writing 5 to /proc/self/clear_refs, so that a test can read the most memory one operation held at
/// once.
/// </summary>
public static class PeakResidentMemory
{
    public static bool IsAvailable => OperatingSystem.IsLinux() && File.Exists("/proc/self/clear_refs");

    /// <summary>Resets the peak to the present resident memory and returns that, in bytes.</summary>
    public static long Reset()
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        return HostMemory.ResidentBytes();
    }

    /// <summary>The most resident memory since the last <see cref="Reset"/>, in bytes.</summary>
    public static long Peak() => HostMemory.PeakResidentBytes();
}
