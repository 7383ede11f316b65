namespace MambaServe.Engine.Interop;

/// <summary>A native kernel returned a non-OK <see cref="MsvStatus"/>; the message is the library's msv_last_error.</summary>
internal sealed class NativeKernelException : Exception
{
    public NativeKernelException(MsvStatus status, string message)
        : base($"{message} ({status})")
    {
        Status = status;
        NativeMessage = message;
    }

    public MsvStatus Status { get; }

    /// <summary>msv_last_error as the native side wrote it, e.g. "msv_selective_scan_fwd: u is NULL".</summary>
    public string NativeMessage { get; }
}
