using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MambaServe.Engine.Cpu.Tests.Interop.ModelApi;

/// <summary>The test mirrors have the C structs' LP64 layout (src/Native/common/abi.h asserts the same numbers).</summary>
public sealed class ModelStructLayoutTests
{
    [Fact]
    public void ModelStructs_Layout_MatchesCStructs()
    {
        Assert.Equal(440, Unsafe.SizeOf<MsvDeviceInfo>());
        Assert.Equal(184, (int)Marshal.OffsetOf<MsvDeviceInfo>(nameof(MsvDeviceInfo.Reason)));
        Assert.Equal(76, Unsafe.SizeOf<MsvModelConfig>());
        Assert.Equal(72, (int)Marshal.OffsetOf<MsvModelConfig>(nameof(MsvModelConfig.UseGraphs)));
        Assert.Equal(72, Unsafe.SizeOf<MsvSampling>());
        Assert.Equal(64, (int)Marshal.OffsetOf<MsvSampling>(nameof(MsvSampling.PromptIds)));
        Assert.Equal(24, Unsafe.SizeOf<MsvSampleTarget>());
        Assert.Equal(16, (int)Marshal.OffsetOf<MsvSampleTarget>(nameof(MsvSampleTarget.Sampling)));
        Assert.Equal(32, Unsafe.SizeOf<MsvStepEntry>());
        Assert.Equal(24, (int)Marshal.OffsetOf<MsvStepEntry>(nameof(MsvStepEntry.NSamples)));
        Assert.Equal(72, Unsafe.SizeOf<MsvStep>());
        Assert.Equal(64, (int)Marshal.OffsetOf<MsvStep>(nameof(MsvStep.OutBadEntry)));
    }
}
