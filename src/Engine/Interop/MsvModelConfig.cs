using System.Runtime.InteropServices;
using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Interop;

/// <summary>Mirror of <c>msv_model_config</c> (mambaserve.h), field by field: the model the native layer builds.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MsvModelConfig
{
    public int DModel, NLayer, DInner, DState, DConv, DtRank;
    /// <summary>Rows of embedding and LM head (padded).</summary>
    public int Vocab;
    /// <summary>Ids at or above it are never sampled and never in a softmax.</summary>
    public int SampleableVocab;
    public int ConvBias, ProjBias, TieEmbeddings;
    public float NormEps;
    /// <summary>F32 (exactness mode), BF16 or F16; accumulation and the residual are fp32.</summary>
    public MsvDtype WeightDtype;
    /// <summary>SSM state: F32 or BF16; the conv state is in the weight type (fp32 in snapshot exports).</summary>
    public MsvDtype StateDtype;
    /// <summary>Most tokens one step may carry (prefill chunks and decodes together).</summary>
    public int MaxStepTokens;
    /// <summary>Most decode entries in one step; graph buckets 1, 2, 4, 8, 12, 16, 24, ... up to it.</summary>
    public int MaxDecodeBatch;
    /// <summary>Top-N capacity of the sampler.</summary>
    public int MaxLogprobs;
    public int Device;
    /// <summary>Nonzero: capture decode per batch bucket and replay.</summary>
    public int UseGraphs;
    /// <summary>1: FalconMamba, each x_proj row's dt, B and C RMS-normalised on its own with no weight.</summary>
    public int MixerRms;
    public float MixerRmsEps;

    /// <summary>
    /// The fields a checkpoint's config decides (shapes, biases, norms); the caller sets the rest (dtypes, sampleable
    /// vocabulary, step and batch limits, device), which the GPU loader and the native tests choose differently.
    /// </summary>
    public static MsvModelConfig ShapeOf(MambaConfig c) => new()
    {
        DModel = c.DModel, NLayer = c.NLayer, DInner = c.DInner, DState = c.DState, DConv = c.DConv, DtRank = c.DtRank,
        Vocab = c.VocabSize, SampleableVocab = c.UnpaddedVocabSize,
        ConvBias = c.ConvBias ? 1 : 0, ProjBias = c.ProjBias ? 1 : 0, TieEmbeddings = c.TieEmbeddings ? 1 : 0,
        NormEps = c.NormEpsilon, MixerRms = c.MixerRmsEpsilon is null ? 0 : 1, MixerRmsEps = c.MixerRmsEpsilon ?? 0f,
    };
}
