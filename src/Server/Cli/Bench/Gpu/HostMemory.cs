using System.Globalization;

namespace MambaServe.Server.Cli.Bench.Gpu;

/// <summary>
/// This process's resident memory from /proc/self/status (file pages mapped and touched count too); 0 where /proc is
/// not there.
/// </summary>
public static class HostMemory
{
    /// <summary>Resident now (VmRSS).</summary>
    public static long ResidentBytes() => Read().Resident;

    /// <summary>The most resident so far (VmHWM).</summary>
    public static long PeakResidentBytes() => Read().Peak;

    /// <summary>
    /// Both from one read of the file, so that they are of one moment: the kernel writes VmHWM as at least VmRSS
    /// within a read, but updates the peak it keeps only lazily, so a peak read after the resident set shrank can be
    /// below a resident figure read before it.
    /// </summary>
    public static (long Resident, long Peak) Read()
    {
        const string Path = "/proc/self/status";
        if (!File.Exists(Path))
        {
            return (0, 0);
        }

        long resident = 0, peak = 0;
        foreach (var line in File.ReadLines(Path))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                resident = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line) * 1024;
            }
        }

        return (resident, peak);
    }

    // "VmRSS:\t  123456 kB"
    private static long Kilobytes(string line) =>
        long.Parse(line[(line.IndexOf(':') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}
