using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MambaServe.Engine.Interop;

// The params structs live in the core assembly, where the interop source generator cannot see that they are
// blittable; with runtime marshalling off, `in` parameters of unmanaged structs are passed as plain pointers.
[assembly: DisableRuntimeMarshalling]

namespace MambaServe.Engine.Cpu.Interop;

/// <summary>
/// P/Invokes into libmambaserve_cpu.so (shipped beside the Engine.Cpu assembly by build/Native.targets, where the
/// default probing finds it). Entry points are the C names of mambaserve.h. Strings come back as raw pointers because the
/// native side owns them (a string return would make the marshaller free them).
/// </summary>
internal static partial class CpuNativeMethods
{
    public const string LibraryName = "mambaserve_cpu";

    [LibraryImport(LibraryName, EntryPoint = "msv_last_error")]
    public static partial nint LastError();

    [LibraryImport(LibraryName, EntryPoint = "msv_backend_name")]
    public static partial nint BackendName();

    [LibraryImport(LibraryName, EntryPoint = "msv_selective_scan_fwd")]
    public static partial MsvStatus SelectiveScanFwd(in MsvScanParams p, nint stream);

    [LibraryImport(LibraryName, EntryPoint = "msv_selective_state_update")]
    public static partial MsvStatus SelectiveStateUpdate(in MsvStateUpdateParams p, nint stream);

    [LibraryImport(LibraryName, EntryPoint = "msv_causal_conv1d_fwd")]
    public static partial MsvStatus CausalConv1dFwd(in MsvConv1dParams p, nint stream);

    [LibraryImport(LibraryName, EntryPoint = "msv_causal_conv1d_update")]
    public static partial MsvStatus CausalConv1dUpdate(in MsvConv1dParams p, nint stream);

    [LibraryImport(LibraryName, EntryPoint = "msv_rmsnorm_residual")]
    public static partial MsvStatus RmsNormResidual(in MsvRmsNormParams p, nint stream);

    [LibraryImport(LibraryName, EntryPoint = "msv_linear")]
    public static partial MsvStatus Linear(in MsvLinearParams p, nint stream);
}
