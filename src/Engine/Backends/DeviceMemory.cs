namespace MambaServe.Engine.Backends;

/// <summary>Free and total bytes of a device's memory at one moment.</summary>
public readonly record struct DeviceMemory(long FreeBytes, long TotalBytes)
{
    public long UsedBytes => TotalBytes - FreeBytes;
}
