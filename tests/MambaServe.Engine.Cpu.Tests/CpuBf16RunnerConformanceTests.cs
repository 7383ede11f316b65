using MambaServe.Engine.Backends;
using MambaServe.Engine.Cpu.Tests.Infrastructure;
using MambaServe.Engine.State;
using MambaServe.Engine.Tests.Backends.Conformance;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Cpu.Tests;

/// <summary>
/// The runner contract with a bf16 state pool: a chunk's scan stages its slot's state in fp32 and rounds it back, so a
/// step of several chunks holds several staged states at once. A prompt in chunks rounds its state to bf16 at every
/// chunk's end where one prefill rounds it once (1.05e-4 apart on tiny-b), so the tolerance is 1e-3, not the fp32
/// runner's 1e-4.
/// </summary>
public sealed class CpuBf16RunnerConformanceTests : RunnerConformanceTests
{
    protected override float BatchingTolerance => 1e-3f;

    protected override IModelRunner CreateRunner(int slots) =>
        LoadedRunners.Create(ReferenceSet.ModelDir("tiny-b"), slots, StateDType.BFloat16);
}
