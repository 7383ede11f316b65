namespace MambaServe.Engine.Cpu.Tests.Interop.ModelApi;

/// <summary>An <c>msv_snapshot</c> handle; frees it on dispose.</summary>
internal sealed class RefSnapshot(nint handle) : IDisposable
{
    public nint Handle { get; private set; } = handle;

    public long Bytes => ModelNativeMethods.SnapshotBytes(Handle);

    public byte[] Export()
    {
        var bytes = new byte[Bytes];
        using var arena = new NativeArena();
        var host = arena.Alloc<byte>(bytes.Length);
        ModelNativeMethods.Check(ModelNativeMethods.SnapshotRead(Handle, host, bytes.Length));
        NativeArena.View<byte>(host, bytes.Length).CopyTo(bytes);
        return bytes;
    }

    public void Dispose()
    {
        ModelNativeMethods.SnapshotFree(Handle);
        Handle = 0;
    }
}
