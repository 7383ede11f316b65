using System.Runtime.InteropServices;

namespace MambaServe.Engine.Gpu.Interop;

/// <summary>An <c>msv_model*</c>: weights, state pool, buffers, stream, BLAS handle and graphs; destroyed once.</summary>
internal sealed class ModelHandle : SafeHandle
{
    public ModelHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        ModelNativeMethods.ModelDestroy(handle);
        return true;
    }
}
