using System.Runtime.InteropServices;
using MambaServe.Engine.Cpu.Interop;
using MambaServe.Engine.Interop;

namespace MambaServe.Engine.Cpu.Tests.Interop.ModelApi;

/// <summary>
/// Test-only P/Invokes of libmambaserve_cpu's msv_model_* API (the GPU runner's own bindings live with it). Handles
/// are raw pointers; <see cref="RefModel"/> owns them.
/// </summary>
internal static partial class ModelNativeMethods
{
    private const string Library = CpuNativeMethods.LibraryName;

    [LibraryImport(Library, EntryPoint = "msv_device_query")]
    public static partial MsvStatus DeviceQuery(int device, out MsvDeviceInfo info);

    [LibraryImport(Library, EntryPoint = "msv_model_create")]
    public static partial MsvStatus Create(in MsvModelConfig config, out nint model);

    [LibraryImport(Library, EntryPoint = "msv_model_destroy")]
    public static partial void Destroy(nint model);

    [LibraryImport(Library, EntryPoint = "msv_model_set_tensor")]
    public static partial MsvStatus SetTensor(nint model, MsvTensor tensor, int layer, nint host, MsvDtype src, long count);

    [LibraryImport(Library, EntryPoint = "msv_model_finalize")]
    public static partial MsvStatus Finalize(nint model, out long weightBytes);

    [LibraryImport(Library, EntryPoint = "msv_model_memory")]
    public static partial MsvStatus Memory(nint model, out long bytesPerSlot, out long freeBytes);

    [LibraryImport(Library, EntryPoint = "msv_model_allocate_pool")]
    public static partial MsvStatus AllocatePool(nint model, int slots);

    [LibraryImport(Library, EntryPoint = "msv_model_step")]
    public static partial MsvStatus Step(nint model, in MsvStep step);

    [LibraryImport(Library, EntryPoint = "msv_model_copy_slot")]
    public static partial MsvStatus CopySlot(nint model, int source, int destination);

    [LibraryImport(Library, EntryPoint = "msv_model_zero_slot")]
    public static partial MsvStatus ZeroSlot(nint model, int slot);

    [LibraryImport(Library, EntryPoint = "msv_model_snapshot")]
    public static partial MsvStatus Snapshot(nint model, int slot, out nint snapshot);

    [LibraryImport(Library, EntryPoint = "msv_model_restore")]
    public static partial MsvStatus Restore(nint model, int slot, nint snapshot);

    [LibraryImport(Library, EntryPoint = "msv_snapshot_bytes")]
    public static partial long SnapshotBytes(nint snapshot);

    [LibraryImport(Library, EntryPoint = "msv_snapshot_read")]
    public static partial MsvStatus SnapshotRead(nint snapshot, nint host, long bytes);

    [LibraryImport(Library, EntryPoint = "msv_model_snapshot_from_host")]
    public static partial MsvStatus SnapshotFromHost(nint model, nint host, long bytes, out nint snapshot);

    [LibraryImport(Library, EntryPoint = "msv_snapshot_free")]
    public static partial void SnapshotFree(nint snapshot);

    public static string LastError() => Marshal.PtrToStringUTF8(CpuNativeMethods.LastError()) ?? "";

    /// <summary>Throws <see cref="NativeKernelException"/> with msv_last_error unless <paramref name="status"/> is OK.</summary>
    public static void Check(MsvStatus status)
    {
        if (status != MsvStatus.Ok)
        {
            throw new NativeKernelException(status, LastError());
        }
    }
}
