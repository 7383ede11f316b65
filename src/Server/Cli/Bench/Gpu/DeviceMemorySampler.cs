using MambaServe.Engine.Backends;

namespace MambaServe.Server.Cli.Bench.Gpu;

/// <summary>
/// Samples a device's memory in use on a side thread every 50 ms while a measurement runs, and keeps the
/// peak: a preallocated pool shows as one level, anything the library allocates on the way shows too.
/// </summary>
public sealed class DeviceMemorySampler : IDisposable
{
    private readonly IDeviceMemory _device;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _peak;

    public DeviceMemorySampler(IDeviceMemory device, TimeSpan? interval = null)
    {
        _device = device;
        // The pool is preallocated and what a library allocates on the way stays: a coarse period sees the peak
        // and keeps the sampler's driver calls rare beside the engine's steps.
        var period = interval ?? TimeSpan.FromMilliseconds(50);
        _peak = device.QueryMemory().UsedBytes;
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                Sample();
                Thread.Sleep(period);
            }
        })
        { IsBackground = true, Name = "device memory sampler" };
        _thread.Start();
    }

    /// <summary>The most memory in use seen so far.</summary>
    public long PeakBytes => Interlocked.Read(ref _peak);

    private void Sample()
    {
        long used = _device.QueryMemory().UsedBytes;
        long seen;
        while (used > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, used, seen) != seen)
        {
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        Sample();
    }
}
