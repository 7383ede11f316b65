using MambaServe.Engine.Backends;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Tests.Backends.Conformance;
using MambaServe.Engine.Tests.Infrastructure;
using MambaServe.Gpu.Tests.Infrastructure;

namespace MambaServe.Gpu.Tests;

/// <summary>
/// The runner contract on the GPU in fp32 mode (fp32 weights and state), with every reference checkpoint's greedy
/// continuation. Batching moves rows between the small-batch GEMV and the BLAS GEMM: fp32 noise, within 1e-3.
/// </summary>
[Trait("Category", "Gpu")]
public sealed class GpuFp32ConformanceTests : RunnerConformanceTests
{
    protected override string? SkipReason => GpuLibrary.SkipReason;

    protected override float BatchingTolerance => 1e-3f;

    protected override IModelRunner CreateRunner(int slots) => GpuRunners.Create(ReferenceSet.ModelDir("tiny-b"), slots, ModelDType.Float32);

    protected override IModelRunner? CreateReferenceRunner(string model, int slots) => GpuRunners.Create(ReferenceSet.ModelDir(model), slots, ModelDType.Float32);
}
