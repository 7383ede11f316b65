using MambaServe.Engine.Backends;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.State;
using MambaServe.Engine.Tests.Backends.Conformance;
using MambaServe.Engine.Tests.Infrastructure;
using MambaServe.Gpu.Tests.Infrastructure;

namespace MambaServe.Gpu.Tests;

/// <summary>
/// The runner contract on the GPU as it serves by default: bf16 weights (auto on an fp32 checkpoint) and a bf16
/// state. Activations are rounded to bf16 between kernels, so batching differences reach a few hundredths of a logit.
/// </summary>
[Trait("Category", "Gpu")]
public sealed class GpuBf16ConformanceTests : RunnerConformanceTests
{
    protected override string? SkipReason => GpuLibrary.SkipReason;

    protected override float BatchingTolerance => 0.1f;

    protected override IModelRunner CreateRunner(int slots) =>
        GpuRunners.Create(ReferenceSet.ModelDir("tiny-b"), slots, ModelDType.Auto, StateDType.BFloat16);
}
