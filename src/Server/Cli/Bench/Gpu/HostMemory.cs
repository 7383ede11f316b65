using System.Globalization;

namespace MambaServe.Server.Cli.Bench.Gpu;

/// <summary>This process's peak resident memory (VmHWM of /proc/self/status: file pages mapped and touched count too).</summary>
public static class HostMemory
{
    public static long PeakResidentBytes()
    {
        const string Key = "VmHWM:";
        if (!File.Exists("/proc/self/status"))
        {
            return 0;
        }

        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(Key, StringComparison.Ordinal))
            {
                var kb = line[Key.Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
