using MambaServe.Engine.Gpu.Tests.Infrastructure;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Tests.Infrastructure;
using MambaServe.Gpu.Tests.Infrastructure;

namespace MambaServe.Gpu.Tests;

/// <summary>
/// Logits of every reference model and case along every path (one prefill; prompt then one token at a time;
/// chunks; batched with other sequences; prefix restore; fork) against the float64 fixtures: fp32 mode within 2e-3
/// absolute, bf16 weights within 3e-2 relative L2 per position (issue 9, point 6).
/// </summary>
[Trait("Category", "Gpu")]
public sealed class GpuFixtureTests
{
    public static TheoryData<string, int, FixturePath> Cases => FixturePaths.AllCases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fp32_ReferenceCase_WithinTwoThousandthsAbsolute(string model, int caseIndex, FixturePath path)
    {
        using var runner = GpuRunners.Create(ReferenceSet.ModelDir(model), FixturePaths.SlotsNeeded, ModelDType.Float32);

        FixturePaths.Check(runner, ReferenceSet.Cases(model)[caseIndex], path, LogitsTolerance.Abs(2e-3f));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bf16_ReferenceCase_WithinThreeHundredthsRelativeL2(string model, int caseIndex, FixturePath path)
    {
        using var runner = GpuRunners.Create(ReferenceSet.ModelDir(model), FixturePaths.SlotsNeeded, ModelDType.BFloat16);

        FixturePaths.Check(runner, ReferenceSet.Cases(model)[caseIndex], path, LogitsTolerance.Relative(3e-2f));
    }
}
