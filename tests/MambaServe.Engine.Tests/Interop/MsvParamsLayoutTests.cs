using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MambaServe.Engine.Interop;
using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Tests.Interop;

/// <summary>
/// The managed mirrors have the C structs' LP64 layout (src/Native/common/abi.h asserts the same numbers for the kernel
/// params; the model API's follow from its declarations in mambaserve.h).
/// </summary>
public sealed class MsvParamsLayoutTests
{
    [Fact]
    public void ParamsStructs_Layout_MatchesCStructs()
    {
        Assert.Equal(224, Unsafe.SizeOf<MsvScanParams>());
        Assert.Equal(216, (int)Marshal.OffsetOf<MsvScanParams>(nameof(MsvScanParams.SlotIdx)));
        Assert.Equal(176, Unsafe.SizeOf<MsvStateUpdateParams>());
        Assert.Equal(168, (int)Marshal.OffsetOf<MsvStateUpdateParams>(nameof(MsvStateUpdateParams.SlotIdx)));
        Assert.Equal(120, Unsafe.SizeOf<MsvConv1dParams>());
        Assert.Equal(112, (int)Marshal.OffsetOf<MsvConv1dParams>(nameof(MsvConv1dParams.SlotIdx)));
        Assert.Equal(80, Unsafe.SizeOf<MsvRmsNormParams>());
        Assert.Equal(72, (int)Marshal.OffsetOf<MsvRmsNormParams>(nameof(MsvRmsNormParams.Eps)));
        Assert.Equal(64, Unsafe.SizeOf<MsvLinearParams>());
        Assert.Equal(12, (int)Marshal.OffsetOf<MsvLinearParams>(nameof(MsvLinearParams.WeightDtype)));
        Assert.Equal(56, (int)Marshal.OffsetOf<MsvLinearParams>(nameof(MsvLinearParams.OutRowStride)));
    }

    [Fact]
    public void ModelApiStructs_Layout_MatchesCStructs()
    {
        Assert.Equal(440, Unsafe.SizeOf<MsvDeviceInfo>());
        Assert.Equal(164, (int)Marshal.OffsetOf<MsvDeviceInfo>(nameof(MsvDeviceInfo.WarpSize)));
        Assert.Equal(184, (int)Marshal.OffsetOf<MsvDeviceInfo>(nameof(MsvDeviceInfo.ReasonBytes)));
        Assert.Equal(84, Unsafe.SizeOf<MsvModelConfig>());
        Assert.Equal(80, (int)Marshal.OffsetOf<MsvModelConfig>(nameof(MsvModelConfig.MixerRmsEps)));
        Assert.Equal(44, (int)Marshal.OffsetOf<MsvModelConfig>(nameof(MsvModelConfig.NormEps)));
        Assert.Equal(72, (int)Marshal.OffsetOf<MsvModelConfig>(nameof(MsvModelConfig.UseGraphs)));
        Assert.Equal(80, Unsafe.SizeOf<MsvSampling>());
        Assert.Equal(8, (int)Marshal.OffsetOf<MsvSampling>(nameof(MsvSampling.Temperature)));
        Assert.Equal(64, (int)Marshal.OffsetOf<MsvSampling>(nameof(MsvSampling.PromptIds)));
        Assert.Equal(72, (int)Marshal.OffsetOf<MsvSampling>(nameof(MsvSampling.BanBits)));
        Assert.Equal(24, Unsafe.SizeOf<MsvSampleTarget>());
        Assert.Equal(16, (int)Marshal.OffsetOf<MsvSampleTarget>(nameof(MsvSampleTarget.Sampling)));
        Assert.Equal(48, Unsafe.SizeOf<MsvStepEntry>());
        Assert.Equal(8, (int)Marshal.OffsetOf<MsvStepEntry>(nameof(MsvStepEntry.Slot)));
        Assert.Equal(24, (int)Marshal.OffsetOf<MsvStepEntry>(nameof(MsvStepEntry.NSamples)));
        Assert.Equal(28, (int)Marshal.OffsetOf<MsvStepEntry>(nameof(MsvStepEntry.FromPrevious)));
        Assert.Equal(32, (int)Marshal.OffsetOf<MsvStepEntry>(nameof(MsvStepEntry.StopIds)));
        Assert.Equal(40, (int)Marshal.OffsetOf<MsvStepEntry>(nameof(MsvStepEntry.NStopIds)));
        Assert.Equal(44, (int)Marshal.OffsetOf<MsvStepEntry>(nameof(MsvStepEntry.Reserved)));
        Assert.Equal(72, Unsafe.SizeOf<MsvStep>());
        Assert.Equal(16, (int)Marshal.OffsetOf<MsvStep>(nameof(MsvStep.NEntries)));
        Assert.Equal(56, (int)Marshal.OffsetOf<MsvStep>(nameof(MsvStep.OutLogits)));
        Assert.Equal(64, (int)Marshal.OffsetOf<MsvStep>(nameof(MsvStep.OutBadEntry)));
    }

    [Fact]
    public void MsvTensor_Values_AreTheTensorRoles()
    {
        Assert.Equal(
            Enum.GetValues<TensorRole>().Select(r => ((int)r, r.ToString())),
            Enum.GetValues<MsvTensor>().Select(t => ((int)t, t.ToString())));
    }

    [Fact]
    public unsafe void MsvDeviceInfo_Strings_StopAtTheTerminator()
    {
        var info = default(MsvDeviceInfo);
        "NVIDIA H200\0junk"u8.CopyTo(MemoryMarshal.CreateSpan(ref info.NameBytes[0], 128));

        Assert.Equal("NVIDIA H200", info.Name);
        Assert.Equal(string.Empty, info.Reason);
    }
}
