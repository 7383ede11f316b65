using MambaServe.Engine.State;

namespace MambaServe.Engine.Gpu.Tests;

/// <summary>Pool sizing from free device memory, and the message when not even one slot fits.</summary>
public sealed class GpuPoolSizingTests
{
    private const long Slot = 25L << 20; // a mamba-2.8b slot with an fp32 state is about 25 MiB

    [Fact]
    public void Resolve_FreeMemory_LeavesTheMarginAndStopsAtTheLimit()
    {
        long free = 100L << 30;
        var pool = new StatePoolOptions();

        Assert.Equal(256, GpuPoolSizing.Resolve(pool, GpuPoolSizing.Cap(pool, Slot), Slot, free, "cuda:0"));
        Assert.Equal(40, GpuPoolSizing.Resolve(pool, 40, Slot, free, "cuda:0"));
        int fit = GpuPoolSizing.Resolve(pool, int.MaxValue, Slot, free, "cuda:0");
        Assert.Equal((free - free / 10) / Slot, fit);
    }

    [Fact]
    public void Resolve_ExplicitCount_TakenAsItIs()
    {
        Assert.Equal(1000, GpuPoolSizing.Resolve(new StatePoolOptions { SlotCount = 1000 }, 1000, Slot, 1L << 30, "cuda:0"));
    }

    [Fact]
    public void Resolve_NotOneSlotFits_NamesSlotSizeFreeMemoryAndMargin()
    {
        var ex = Assert.Throws<InsufficientMemoryException>(() =>
            GpuPoolSizing.Resolve(new StatePoolOptions(), 64, Slot, (1L << 30) + Slot / 2, "cuda:0 NVIDIA H200"));

        Assert.StartsWith("The state pool does not fit: one slot takes 25.0 MiB and cuda:0 NVIDIA H200 has 1.01 GiB free after the weights, of which 1.00 GiB is kept free.",
            ex.Message, StringComparison.Ordinal);
    }
}
