using MambaServe.Engine.Backends;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.State;

namespace MambaServe.Gpu.Tests.Infrastructure;

/// <summary>GPU runners built the way the server builds them: through the backend, from a checkpoint folder.</summary>
internal static class GpuRunners
{
    public static IModelRunner Create(string modelDir, int slots, ModelDType dtype, StateDType state = StateDType.Float32)
    {
        var weights = CheckpointWeightSource.Open(modelDir);
        var pool = new StatePoolOptions { SlotCount = slots, SsmStateDType = state };
        return GpuLibrary.Require().CreateRunner(new RunnerOptions(weights, pool, weights.Config.UnpaddedVocabSize, DType: dtype));
    }
}
