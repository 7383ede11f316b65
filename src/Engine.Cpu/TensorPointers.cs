using static TorchSharp.torch;

namespace MambaServe.Engine.Cpu;

/// <summary>Raw host pointers into TorchSharp CPU tensors, for handing buffers to the native kernels.</summary>
internal static unsafe class TensorPointers
{
    /// <summary>
    /// Address of the first element. The tensor must be contiguous and on the CPU: libtorch owns the memory (it never
    /// moves), so the pointer stays valid while the tensor is alive.
    /// </summary>
    public static nint DataPointer(this Tensor tensor)
    {
        if (!tensor.is_contiguous())
            throw new InvalidOperationException("Native kernels need contiguous tensors; call contiguous() first.");
        fixed (byte* p = tensor.bytes)
            return (nint)p;
    }
}
