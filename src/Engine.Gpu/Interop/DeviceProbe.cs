using System.Runtime.InteropServices;
using MambaServe.Engine.Interop;

namespace MambaServe.Engine.Gpu.Interop;

/// <summary>
/// Asks a native library file what devices it sees, through its own <c>msv_device_query</c> export, without binding
/// the process's P/Invokes to it (<see cref="ModelLibrary"/> is once per process, and <c>auto</c> probes CUDA, then
/// ROCm). A library that loads stays loaded; the P/Invokes bind to the same handle later.
/// </summary>
internal static unsafe class DeviceProbe
{
    /// <summary>The device's description, or why the library cannot be asked (one line).</summary>
    public static (MsvDeviceInfo? Info, string? Error) Query(string libraryPath, int device)
    {
        nint handle;
        try
        {
            handle = NativeLibrary.Load(libraryPath);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            return (null, $"{Path.GetFileName(libraryPath)} cannot be loaded: {OneLine(e.Message)}");
        }

        if (!NativeLibrary.TryGetExport(handle, "msv_device_query", out var export))
        {
            return (null, $"{Path.GetFileName(libraryPath)} has no msv_device_query: not a MambaServe model library");
        }

        MsvDeviceInfo info;
        var status = ((delegate* unmanaged<int, MsvDeviceInfo*, MsvStatus>)export)(device, &info);
        return status == MsvStatus.Ok ? (info, null) : (null, $"msv_device_query failed ({status})");
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
