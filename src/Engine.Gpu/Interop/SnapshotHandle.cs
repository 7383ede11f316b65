using System.Runtime.InteropServices;

namespace MambaServe.Engine.Gpu.Interop;

/// <summary>An <c>msv_snapshot*</c>: one slot's state in the memory the model keeps state in; freed once.</summary>
internal sealed class SnapshotHandle : SafeHandle
{
    public SnapshotHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        ModelNativeMethods.SnapshotFree(handle);
        return true;
    }
}
