using MambaServe.Engine.Scheduling;

namespace MambaServe.Engine.Tests.Scheduling;

public sealed class SchedulerBenchTests
{
    [Fact]
    public void Run_FewSteps_ReportsEverySequenceAndStep()
    {
        int sequences = Random.Shared.Next(2, 20);

        var result = SchedulerBench.Run(sequences, steps: 3);

        Assert.Equal(sequences, result.Sequences);
        Assert.Equal(3, result.Steps);
        Assert.True(result.MeanStep >= result.FastestStep);
    }
}
