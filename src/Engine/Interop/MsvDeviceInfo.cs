using System.Runtime.InteropServices;
using System.Text;

namespace MambaServe.Engine.Interop;

/// <summary>
/// Mirror of <c>msv_device_info</c> (mambaserve.h): what <c>msv_device_query</c> found. Strings are NUL-terminated
/// UTF-8 in fixed buffers.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsvDeviceInfo
{
    /// <summary>Devices visible (0: none).</summary>
    public int Count;
    public fixed byte NameBytes[128];
    /// <summary>"sm_90", "gfx942".</summary>
    public fixed byte ArchBytes[32];
    public int WarpSize;
    public long TotalBytes, FreeBytes;
    /// <summary>When Count is 0 or the query failed: which of device, driver or permission is missing.</summary>
    public fixed byte ReasonBytes[256];

    public string Name => Text(MemoryMarshal.CreateReadOnlySpan(ref NameBytes[0], 128));
    public string Arch => Text(MemoryMarshal.CreateReadOnlySpan(ref ArchBytes[0], 32));
    public string Reason => Text(MemoryMarshal.CreateReadOnlySpan(ref ReasonBytes[0], 256));

    private static string Text(ReadOnlySpan<byte> buffer)
    {
        int end = buffer.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? buffer : buffer[..end]);
    }
}
