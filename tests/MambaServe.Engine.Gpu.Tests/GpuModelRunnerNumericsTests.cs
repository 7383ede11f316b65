using MambaServe.Engine.Gpu.Tests.Infrastructure;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Gpu.Tests;

/// <summary>
/// Every reference case along every path through the GPU runner on the reference library, against the float64
/// fixtures within 1e-3 (tests/fixtures/README.md): the marshalling of chunks, batches, forks and restores is right
/// before any device kernel is involved. The device tests run the same paths on the GPU.
/// </summary>
public sealed class GpuModelRunnerNumericsTests
{
    public static TheoryData<string, int, FixturePath> Cases => FixturePaths.AllCases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Path_ReferenceCase_MatchesReferenceLogits(string model, int caseIndex, FixturePath path)
    {
        var c = ReferenceSet.Cases(model)[caseIndex];
        using var runner = ReferenceRunners.Create(ReferenceSet.ModelDir(model), FixturePaths.SlotsNeeded);

        FixturePaths.Check(runner, c, path, LogitsTolerance.Abs(1e-3f));
    }
}
