using MambaServe.Engine.Backends;
using MambaServe.Engine.Cpu.Tests.Infrastructure;
using MambaServe.Engine.Tests.Backends.Conformance;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Cpu.Tests;

/// <summary>
/// The CPU runner keeps the runner contract on tiny-b, and reproduces every greedy reference continuation. Batching
/// changes only how rows group into matrix products (libtorch's GEMM from 16 rows): float32 noise, far below 1e-4.
/// </summary>
public sealed class CpuRunnerConformanceTests : RunnerConformanceTests
{
    protected override float BatchingTolerance => 1e-4f;

    protected override IModelRunner CreateRunner(int slots) => LoadedRunners.Create(ReferenceSet.ModelDir("tiny-b"), slots);

    protected override IModelRunner? CreateReferenceRunner(string model, int slots) => LoadedRunners.Create(ReferenceSet.ModelDir(model), slots);
}
