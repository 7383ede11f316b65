namespace MambaServe.Engine.Backends;

/// <summary>
/// A runner whose device reports its memory (the GPU runner): for benchmarks that sample the peak in use, and for
/// logs. Callable from any thread.
/// </summary>
public interface IDeviceMemory
{
    DeviceMemory QueryMemory();
}
