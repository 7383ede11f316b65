using System.Runtime.InteropServices;

namespace MambaServe.Engine.Cpu.Tests.Interop;

/// <summary>A host array on the pinned object heap, so the kernels can take its address for the whole test.</summary>
internal sealed class Pinned<T>
    where T : unmanaged
{
    public Pinned(int length) => Data = GC.AllocateArray<T>(length, pinned: true);

    public Pinned(T[] values)
        : this(values.Length) => values.CopyTo(Data, 0);

    public T[] Data { get; }

    public nint Ptr => Marshal.UnsafeAddrOfPinnedArrayElement(Data, 0);

    /// <summary>Address of element <paramref name="offset"/>: a view that starts inside the buffer.</summary>
    public nint At(long offset) => Ptr + (nint)(offset * Marshal.SizeOf<T>());
}
