using System.Globalization;

namespace MambaServe.Server.Cli.Bench.Gpu;

/// <summary>
/// This process's resident memory from /proc/self/status (file pages mapped and touched count too); 0 where /proc is
/// not there.
/// </summary>
public static class HostMemory
{
    /// <summary>Resident now (VmRSS).</summary>
    public static long ResidentBytes() => StatusBytes("VmRSS:");

    /// <summary>The most resident so far (VmHWM).</summary>
    public static long PeakResidentBytes() => StatusBytes("VmHWM:");

    private static long StatusBytes(string key)
    {
        const string Path = "/proc/self/status";
        if (!File.Exists(Path))
        {
            return 0;
        }

        foreach (var line in File.ReadLines(Path))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                var kb = line[key.Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
