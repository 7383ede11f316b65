using MambaServe.Engine.Backends;
using MambaServe.Engine.Gpu.Tests.Infrastructure;
using MambaServe.Engine.Tests.Backends.Conformance;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Gpu.Tests;

/// <summary>The contract again with steps cut into several native calls (max_step_tokens 8): splitting changes nothing.</summary>
public sealed class GpuRunnerSplitStepConformanceTests : RunnerConformanceTests
{
    protected override float BatchingTolerance => 1e-4f;

    protected override IModelRunner CreateRunner(int slots) => ReferenceRunners.Create(ReferenceSet.ModelDir("tiny-b"), slots, maxStepTokens: 8);
}
