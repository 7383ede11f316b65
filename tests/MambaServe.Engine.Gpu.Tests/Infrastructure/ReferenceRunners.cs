using MambaServe.Engine.Backends;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.State;

namespace MambaServe.Engine.Gpu.Tests.Infrastructure;

/// <summary>GPU runners on the reference library: the managed runner as a GPU deployment runs it, without a GPU.</summary>
internal static class ReferenceRunners
{
    /// <summary>A runner of the checkpoint in <paramref name="modelDir"/>, streamed from its files as the server does.</summary>
    public static GpuModelRunner Create(string modelDir, int slots = 4, StateDType state = StateDType.Float32, int? maxStepTokens = null) =>
        Create(CheckpointWeightSource.Open(modelDir), new StatePoolOptions { SlotCount = slots, SsmStateDType = state }, maxStepTokens);

    public static GpuModelRunner Create(IWeightSource weights, StatePoolOptions pool, int? maxStepTokens = null, ModelDType dtype = ModelDType.Auto) =>
        GpuModelRunner.Create(new RunnerOptions(weights, pool, weights.Config.UnpaddedVocabSize, DType: dtype) { MaxStepTokens = maxStepTokens },
            GpuDevice.Reference);
}
