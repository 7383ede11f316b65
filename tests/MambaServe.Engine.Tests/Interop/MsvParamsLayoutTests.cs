using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MambaServe.Engine.Interop;

namespace MambaServe.Engine.Tests.Interop;

/// <summary>The managed mirrors have the C structs' LP64 layout (src/Native/common/abi.h asserts the same numbers).</summary>
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
    }
}
