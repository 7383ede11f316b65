using MambaServe.Server.Cli.Bench.Gpu;

namespace MambaServe.Server.Tests.Cli;

/// <summary>The benches' host memory figures, read from /proc/self/status (Linux, where the tests run).</summary>
public sealed class HostMemoryTests
{
    [Fact]
    public void ResidentAndPeak_AreThisProcesssAndThePeakIsNotBelowNow()
    {
        // 64 MB touched now: resident memory holds at least that, and the peak at least what is resident.
        var block = new byte[64 << 20];
        Random.Shared.NextBytes(block);

        // One read: the kernel's peak is kept lazily, so a second read may see a peak below the first read's resident.
        var (resident, peak) = HostMemory.Read();

        Assert.True(resident >= block.Length, $"resident {resident} bytes");
        Assert.True(peak >= resident, $"peak {peak} below resident {resident}");
        GC.KeepAlive(block);
    }
}
