using System.Runtime.InteropServices;
using MambaServe.Engine.Interop;

namespace MambaServe.Engine.Gpu.Interop;

/// <summary>Turns a failed <see cref="MsvStatus"/> into an exception carrying the library's msv_last_error.</summary>
internal static class NativeStatus
{
    /// <summary>msv_last_error of the calling thread.</summary>
    public static string LastError() => Marshal.PtrToStringUTF8(ModelNativeMethods.LastError()) ?? "";

    public static void Check(MsvStatus status)
    {
        if (status != MsvStatus.Ok)
        {
            throw new NativeKernelException(status, LastError());
        }
    }
}
