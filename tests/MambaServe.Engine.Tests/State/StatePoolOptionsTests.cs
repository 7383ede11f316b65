using MambaServe.Engine.Loading;
using MambaServe.Engine.State;

namespace MambaServe.Engine.Tests.State;

public sealed class StatePoolOptionsTests
{
    private static MambaConfig RandomConfig() => new(
        DModel: 64, NLayer: Random.Shared.Next(1, 8), VocabSize: 512, UnpaddedVocabSize: 500, DState: 16, DConv: 4,
        DInner: 64 * Random.Shared.Next(1, 4), DtRank: 4, ProjBias: false, ConvBias: true, TieEmbeddings: true,
        NormEpsilon: 1e-5f, ResidualInFp32: true, EosTokenId: 0, BosTokenId: 0, PadTokenId: 0);

    [Fact]
    public void BytesPerSlot_Bf16_HalvesOnlyTheSsmPart()
    {
        var config = RandomConfig();

        long fp32 = new StatePoolOptions().BytesPerSlot(config);
        long bf16 = new StatePoolOptions { SsmStateDType = StateDType.BFloat16 }.BytesPerSlot(config);

        Assert.Equal((config.ConvStateElementsPerSlot + config.SsmStateElementsPerSlot) * 4, fp32);
        Assert.Equal(config.SsmStateElementsPerSlot * 2, fp32 - bf16);
    }

    [Fact]
    public void ResolveSlotCount_MemoryBudget_FloorsBudgetOverSlotBytes()
    {
        var config = RandomConfig();
        var options = new StatePoolOptions { MemoryBudgetBytes = 0 };
        long perSlot = options.BytesPerSlot(config);
        int slots = Random.Shared.Next(1, 300);

        int resolved = (options with { MemoryBudgetBytes = perSlot * slots + perSlot - 1 }).ResolveSlotCount(config);

        Assert.Equal(slots, resolved);
    }

    [Fact]
    public void ResolveSlotCount_ExplicitCountAndBudget_CountWins()
    {
        var options = new StatePoolOptions { SlotCount = 5, MemoryBudgetBytes = 1L << 40 };

        Assert.Equal(5, options.ResolveSlotCount(RandomConfig()));
    }

    [Fact]
    public void ResolveSlotCount_BudgetBelowOneSlot_Throws()
    {
        var config = RandomConfig();
        var options = new StatePoolOptions { MemoryBudgetBytes = new StatePoolOptions().BytesPerSlot(config) - 1 };

        Assert.Throws<ArgumentOutOfRangeException>(() => options.ResolveSlotCount(config));
    }

    [Fact]
    public void ResolveSlotCount_OnlyALimit_TakesTheLimit()
    {
        Assert.Equal(12, new StatePoolOptions { SlotLimit = 12 }.ResolveSlotCount(RandomConfig()));
        Assert.Equal(3, new StatePoolOptions { SlotLimit = 12, SlotCount = 3 }.ResolveSlotCount(RandomConfig()));
        Assert.Equal(StatePoolOptions.DefaultSlotCount, new StatePoolOptions().ResolveSlotCount(RandomConfig()));
    }
}
