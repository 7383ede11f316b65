using System.Globalization;

namespace MambaServe.Engine.Gpu;

/// <summary>Byte counts for messages: "5.54 GB (5538 MB)" reads better than 5538134016.</summary>
internal static class Units
{
    public static string Bytes(long bytes) => bytes >= 1L << 30
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F2} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F1} MiB");
}
