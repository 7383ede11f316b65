namespace MambaServe.Engine.Scheduling;

/// <summary>What <see cref="SchedulerBench.Run"/> measured: engine bookkeeping per decode step, model excluded.</summary>
public sealed record SchedulerBenchResult(int Sequences, int Steps, TimeSpan MeanStep, TimeSpan FastestStep, double AllocatedBytesPerStep)
{
    public override string ToString() =>
        $"{Sequences} sequences, {Steps} steps: mean {MeanStep.TotalMicroseconds:F1} us/step, " +
        $"fastest {FastestStep.TotalMicroseconds:F1} us, {AllocatedBytesPerStep / 1024:F1} KiB allocated/step";
}
