using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MambaServe.Engine.Gpu;

/// <summary>
/// A growable array on the pinned object heap: its address never moves, so native calls read and write it without
/// a fixed block or a copy. Grows by doubling and never shrinks, so steps in steady state allocate nothing. An array
/// handed out (<see cref="Array"/>) stays valid after a later growth: growth allocates a new one.
/// </summary>
internal sealed unsafe class PinnedBuffer<T>
    where T : unmanaged
{
    public PinnedBuffer(int capacity = 16) => Array = GC.AllocateUninitializedArray<T>(Math.Max(capacity, 1), pinned: true);

    public T[] Array { get; private set; }

    public Span<T> Span => Array;

    public ref T this[int index] => ref Array[index];

    /// <summary>Address of element <paramref name="index"/>.</summary>
    public nint At(int index) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Array)) + index * sizeof(T);

    /// <summary>Makes room for <paramref name="count"/> elements; existing contents are kept when <paramref name="keep"/>.</summary>
    public void Ensure(int count, bool keep = false)
    {
        if (count <= Array.Length)
        {
            return;
        }

        var grown = GC.AllocateUninitializedArray<T>(Math.Max(count, Array.Length * 2), pinned: true);
        if (keep)
        {
            Array.CopyTo(grown, 0);
        }

        Array = grown;
    }
}
