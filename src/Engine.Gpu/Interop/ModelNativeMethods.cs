using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MambaServe.Engine.Interop;

// The params structs live in the core assembly, where the interop source generator cannot see that they are
// blittable; with runtime marshalling off, `in`/`out` parameters of unmanaged structs are passed as plain pointers.
[assembly: DisableRuntimeMarshalling]

namespace MambaServe.Engine.Gpu.Interop;

/// <summary>
/// P/Invokes of the native model C API (docs/gpu-engine.md section 3, <c>msv_model_*</c> in mambaserve.h), which every
/// library exports: libmambaserve_cuda and libmambaserve_hip run it on a GPU, libmambaserve_cpu with the fp32
/// reference kernels. <see cref="LibraryName"/> is a logical name that <see cref="ModelLibrary.Use"/> maps to one of
/// them. Every call returns a status; the message of a failed one is <see cref="LastError"/>, on the calling thread.
/// </summary>
internal static partial class ModelNativeMethods
{
    public const string LibraryName = "mambaserve_model";

    [LibraryImport(LibraryName, EntryPoint = "msv_last_error")]
    public static partial nint LastError();

    [LibraryImport(LibraryName, EntryPoint = "msv_backend_name")]
    public static partial nint BackendName();

    [LibraryImport(LibraryName, EntryPoint = "msv_device_query")]
    public static partial MsvStatus DeviceQuery(int device, out MsvDeviceInfo info);

    [LibraryImport(LibraryName, EntryPoint = "msv_model_create")]
    public static partial MsvStatus ModelCreate(in MsvModelConfig config, out ModelHandle model);

    [LibraryImport(LibraryName, EntryPoint = "msv_model_destroy")]
    public static partial void ModelDestroy(nint model);

    /// <param name="host">Source values, <paramref name="count"/> elements of <paramref name="dtype"/>.</param>
    [LibraryImport(LibraryName, EntryPoint = "msv_model_set_tensor")]
    public static partial MsvStatus ModelSetTensor(ModelHandle model, MsvTensor tensor, int layer, nint host, MsvDtype dtype, long count);

    [LibraryImport(LibraryName, EntryPoint = "msv_model_finalize")]
    public static partial MsvStatus ModelFinalize(ModelHandle model, out long deviceBytesUsed);

    [LibraryImport(LibraryName, EntryPoint = "msv_model_memory")]
    public static partial MsvStatus ModelMemory(ModelHandle model, out long bytesPerSlot, out long freeBytes);

    [LibraryImport(LibraryName, EntryPoint = "msv_model_allocate_pool")]
    public static partial MsvStatus ModelAllocatePool(ModelHandle model, int slots);

    [LibraryImport(LibraryName, EntryPoint = "msv_model_step")]
    public static partial MsvStatus ModelStep(ModelHandle model, in MsvStep step);

    [LibraryImport(LibraryName, EntryPoint = "msv_model_step_begin")]
    public static partial MsvStatus ModelStepBegin(ModelHandle model, in MsvStep step);

    [LibraryImport(LibraryName, EntryPoint = "msv_model_step_end")]
    public static partial MsvStatus ModelStepEnd(ModelHandle model);

    [LibraryImport(LibraryName, EntryPoint = "msv_model_step_wait_mark")]
    public static partial MsvStatus ModelStepWaitMark(ModelHandle model);

    [LibraryImport(LibraryName, EntryPoint = "msv_model_copy_slot")]
    public static partial MsvStatus ModelCopySlot(ModelHandle model, int source, int destination);

    [LibraryImport(LibraryName, EntryPoint = "msv_model_zero_slot")]
    public static partial MsvStatus ModelZeroSlot(ModelHandle model, int slot);

    [LibraryImport(LibraryName, EntryPoint = "msv_model_snapshot")]
    public static partial MsvStatus ModelSnapshot(ModelHandle model, int slot, out SnapshotHandle snapshot);

    [LibraryImport(LibraryName, EntryPoint = "msv_model_restore")]
    public static partial MsvStatus ModelRestore(ModelHandle model, int slot, SnapshotHandle snapshot);

    [LibraryImport(LibraryName, EntryPoint = "msv_snapshot_bytes")]
    public static partial long SnapshotBytes(SnapshotHandle snapshot);

    /// <summary>Export: copies the snapshot's <paramref name="bytes"/> to <paramref name="host"/>.</summary>
    [LibraryImport(LibraryName, EntryPoint = "msv_snapshot_read")]
    public static partial MsvStatus SnapshotRead(SnapshotHandle snapshot, nint host, long bytes);

    /// <summary>Import: a snapshot of this model from bytes <see cref="SnapshotRead"/> wrote.</summary>
    [LibraryImport(LibraryName, EntryPoint = "msv_model_snapshot_from_host")]
    public static partial MsvStatus ModelSnapshotFromHost(ModelHandle model, nint host, long bytes, out SnapshotHandle snapshot);

    [LibraryImport(LibraryName, EntryPoint = "msv_snapshot_free")]
    public static partial void SnapshotFree(nint snapshot);
}
