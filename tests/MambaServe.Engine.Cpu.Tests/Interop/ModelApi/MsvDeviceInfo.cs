using System.Runtime.InteropServices;
using System.Text;

namespace MambaServe.Engine.Cpu.Tests.Interop.ModelApi;

/// <summary>Test-only mirror of <c>msv_device_info</c> (mambaserve.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsvDeviceInfo
{
    public int Count;
    public fixed byte Name[128];
    public fixed byte Arch[32];
    public int WarpSize;
    public long TotalBytes, FreeBytes;
    public fixed byte Reason[256];

    public string ReasonText
    {
        get
        {
            fixed (byte* p = Reason)
            {
                return Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(p));
            }
        }
    }
}
