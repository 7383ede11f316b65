using MambaServe.Engine.Backends;
using MambaServe.Engine.Gpu.Tests.Infrastructure;
using MambaServe.Engine.Tests.Backends.Conformance;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Gpu.Tests;

/// <summary>
/// The GPU runner keeps the runner contract on the reference library (fp32), with every reference checkpoint's
/// greedy continuation: everything but the device kernels, on CI.
/// </summary>
public sealed class GpuRunnerConformanceTests : RunnerConformanceTests
{
    protected override float BatchingTolerance => 1e-4f;

    protected override IModelRunner CreateRunner(int slots) => ReferenceRunners.Create(ReferenceSet.ModelDir("tiny-b"), slots);

    protected override IModelRunner? CreateReferenceRunner(string model, int slots) => ReferenceRunners.Create(ReferenceSet.ModelDir(model), slots);
}
