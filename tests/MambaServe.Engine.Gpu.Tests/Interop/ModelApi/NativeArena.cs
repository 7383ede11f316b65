using System.Runtime.InteropServices;

namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>Unmanaged host buffers for one native call, freed together.</summary>
internal sealed unsafe class NativeArena : IDisposable
{
    private readonly List<nint> _blocks = [];

    public nint Alloc<T>(int count)
        where T : unmanaged
    {
        var bytes = (nuint)Math.Max(count, 1) * (nuint)sizeof(T);
        var p = (nint)NativeMemory.AllocZeroed(bytes);
        _blocks.Add(p);
        return p;
    }

    public nint Copy<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var p = Alloc<T>(values.Length);
        values.CopyTo(new Span<T>((void*)p, values.Length));
        return p;
    }

    public static Span<T> View<T>(nint p, int count)
        where T : unmanaged => new((void*)p, count);

    public void Dispose()
    {
        foreach (var p in _blocks)
        {
            NativeMemory.Free((void*)p);
        }
        _blocks.Clear();
    }
}
