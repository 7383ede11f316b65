using MambaServe.Engine.Backends;
using MambaServe.Engine.Gpu.Interop;

namespace MambaServe.Engine.Gpu;

/// <summary>
/// One slot's state in the memory the model keeps state in (device memory on a GPU): restored and exported only by
/// the runner that took or imported it. Disposing frees that memory (the native snapshot owns it and may outlive
/// its model).
/// </summary>
internal sealed class GpuSnapshot : IStateSnapshot
{
    public GpuSnapshot(GpuModelRunner owner, SnapshotHandle handle)
    {
        Owner = owner;
        Handle = handle;
        SizeInBytes = ModelNativeMethods.SnapshotBytes(handle);
    }

    public GpuModelRunner Owner { get; }

    public SnapshotHandle Handle { get; }

    public long SizeInBytes { get; }

    public void Dispose() => Handle.Dispose();
}
