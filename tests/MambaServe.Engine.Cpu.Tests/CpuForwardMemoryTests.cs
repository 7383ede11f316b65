using MambaServe.Engine.Cpu.Tests.Infrastructure;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Cpu.Tests;

[Collection(SoloCollection.Name)]
public sealed class CpuForwardMemoryTests
{
    // Many thin layers and a long chunk: a layer's activations are ~47 MB, the weights ~20 MB.
    private static readonly MambaConfig ManyLayers = new(
        DModel: 128, NLayer: 24, VocabSize: 256, UnpaddedVocabSize: 256, DState: 16, DConv: 4, DInner: 512,
        DtRank: 8, ProjBias: false, ConvBias: true, TieEmbeddings: true, NormEpsilon: 1e-5f, ResidualInFp32: true,
        EosTokenId: 0, BosTokenId: 0, PadTokenId: 0);

    // A prefill chunk's activations are freed with their layer: holding every layer's to the end of the forward took a
    // 4,096-token chunk of the 130m shape to 4.7 GB resident (2.0 GB freed per layer) and made each forward fault in
    // fresh pages.
    [Fact]
    public void PrefillChunk_HoldsAFewLayersOfActivationsAtOnce_NotEveryLayers()
    {
        Assert.SkipUnless(PeakResidentMemory.IsAvailable, "reads Linux's /proc/self/status");
        const int tokens = 4096;
        using var runner = new CpuModelRunner(ManyLayers, RandomCheckpoint.Create(ManyLayers, seed: 3), slotCount: 1);
        var prompt = Enumerable.Range(0, tokens).Select(i => i * 7 % ManyLayers.VocabSize).ToArray();
        runner.Prefill(0, prompt[..64]); // the first forward's one-time allocations

        long layerBytes = (long)tokens * (5L * ManyLayers.DInner + 2L * ManyLayers.DModel + ManyLayers.XProjWidth) * sizeof(float);
        var before = PeakResidentMemory.Reset();
        var logits = runner.Prefill(0, prompt);
        var growth = PeakResidentMemory.Peak() - before;

        Assert.Equal(tokens * runner.LogitsWidth, logits.Length);
        Assert.True(growth < 6 * layerBytes,
            $"the forward grew resident memory by {growth / 1e6:F0} MB, {growth / (double)layerBytes:F1} layers of activations ({layerBytes / 1e6:F0} MB each) of {ManyLayers.NLayer}");
    }
}
