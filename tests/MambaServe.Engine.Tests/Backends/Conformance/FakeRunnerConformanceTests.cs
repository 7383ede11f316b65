using MambaServe.Engine.Backends;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Backends.Conformance;

/// <summary>The fake runner keeps the runner contract, bit for bit: the engine's tests rely on it.</summary>
public sealed class FakeRunnerConformanceTests : RunnerConformanceTests
{
    protected override float BatchingTolerance => 0f;

    protected override IModelRunner CreateRunner(int slots) => new FakeModelRunner(slots);
}
