using MambaServe.Engine.Gpu.Interop;

namespace MambaServe.Engine.Gpu.Tests.Interop.ModelApi;

/// <summary>An <c>msv_snapshot</c> handle; frees it on dispose.</summary>
internal sealed class RefSnapshot(SnapshotHandle handle) : IDisposable
{
    public SnapshotHandle Handle { get; } = handle;

    public long Bytes => ModelNativeMethods.SnapshotBytes(Handle);

    public byte[] Export()
    {
        var bytes = new byte[Bytes];
        using var arena = new NativeArena();
        var host = arena.Alloc<byte>(bytes.Length);
        NativeStatus.Check(ModelNativeMethods.SnapshotRead(Handle, host, bytes.Length));
        NativeArena.View<byte>(host, bytes.Length).CopyTo(bytes);
        return bytes;
    }

    public void Dispose()
    {
        Handle.Dispose();
    }
}
