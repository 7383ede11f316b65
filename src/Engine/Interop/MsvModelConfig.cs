using System.Runtime.InteropServices;

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
}
