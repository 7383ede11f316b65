using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.State;

namespace MambaServe.Engine.Backends;

/// <summary>What a backend needs to build a runner.</summary>
/// <param name="Weights">The model: its config and weights, read in whichever form the backend wants.</param>
/// <param name="StatePool">Slot count (or memory budget) and SSM state dtype.</param>
/// <param name="SampleableVocab">Ids at or above it are never sampled (vocab padding, ids the tokenizer lacks).</param>
/// <param name="Threads">CPU threads (null: the backend's default).</param>
/// <param name="DType">The compute type asked for (<c>--dtype</c>); a backend refuses one it cannot honour before reading weights.</param>
public sealed record RunnerOptions(IWeightSource Weights, StatePoolOptions StatePool, int SampleableVocab, int? Threads = null,
    ModelDType DType = ModelDType.Auto)
{
    public MambaConfig Config => Weights.Config;

    /// <summary>
    /// Most tokens one step carries (the scheduler's MaxBatchTokensPerStep); a runner that sizes step buffers ahead
    /// (the GPU) uses it, and splits a larger step (null: the runner's default).
    /// </summary>
    public int? MaxStepTokens { get; init; }
}
