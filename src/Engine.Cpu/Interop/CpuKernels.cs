using System.Runtime.InteropServices;
using MambaServe.Engine.Interop;

namespace MambaServe.Engine.Cpu.Interop;

/// <summary>
/// The CPU kernels of libmambaserve_cpu.so: host pointers, fp32 activations (bf16 SSM state in the state update),
/// synchronous. Each call throws <see cref="NativeKernelException"/> on a non-OK status. Math and layouts: the
/// params structs and mambaserve.h.
/// </summary>
internal static class CpuKernels
{
    /// <summary>"cpu": proves the library loads.</summary>
    public static string BackendName => Marshal.PtrToStringUTF8(CpuNativeMethods.BackendName()) ?? string.Empty;

    public static void SelectiveScanFwd(in MsvScanParams p) => Check(CpuNativeMethods.SelectiveScanFwd(in p, 0));

    public static void SelectiveStateUpdate(in MsvStateUpdateParams p) =>
        Check(CpuNativeMethods.SelectiveStateUpdate(in p, 0));

    public static void CausalConv1dFwd(in MsvConv1dParams p) => Check(CpuNativeMethods.CausalConv1dFwd(in p, 0));

    public static void CausalConv1dUpdate(in MsvConv1dParams p) => Check(CpuNativeMethods.CausalConv1dUpdate(in p, 0));

    public static void RmsNormResidual(in MsvRmsNormParams p) => Check(CpuNativeMethods.RmsNormResidual(in p, 0));

    public static void Linear(in MsvLinearParams p) => Check(CpuNativeMethods.Linear(in p, 0));

    // The message is thread-local on the native side and this runs on the calling thread, right after the call.
    private static void Check(MsvStatus status)
    {
        if (status != MsvStatus.Ok)
        {
            var message = Marshal.PtrToStringUTF8(CpuNativeMethods.LastError()) ?? string.Empty;
            throw new NativeKernelException(status, message);
        }
    }
}
