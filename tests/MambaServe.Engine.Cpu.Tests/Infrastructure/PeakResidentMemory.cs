using System.Globalization;

namespace MambaServe.Engine.Cpu.Tests.Infrastructure;

/// <summary>
/// The process's resident memory and its peak (Linux's VmRSS and VmHWM), with the peak reset to the present by writing
/// 5 to /proc/self/clear_refs, so that a test can read the most memory one operation held at once.
/// </summary>
public static class PeakResidentMemory
{
    private const string Status = "/proc/self/status";

    public static bool IsAvailable => OperatingSystem.IsLinux() && File.Exists(Status);

    /// <summary>Resets the peak to the present resident memory and returns that, in bytes.</summary>
    public static long Reset()
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        return Read("VmRSS:");
    }

    /// <summary>The most resident memory since the last <see cref="Reset"/>, in bytes.</summary>
    public static long Peak() => Read("VmHWM:");

    private static long Read(string field)
    {
        var line = File.ReadLines(Status).First(l => l.StartsWith(field, StringComparison.Ordinal));
        var kilobytes = line[field.Length..].Trim().Split(' ')[0];
        return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
    }
}
