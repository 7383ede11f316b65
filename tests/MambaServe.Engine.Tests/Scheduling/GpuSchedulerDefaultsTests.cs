using MambaServe.Engine.Backends;
using MambaServe.Engine.Scheduling;

namespace MambaServe.Engine.Tests.Scheduling;

public sealed class GpuSchedulerDefaultsTests
{
    private static readonly Func<string, bool> Nothing = _ => false;

    [Theory]
    [InlineData(DeviceKind.Cuda)]
    [InlineData(DeviceKind.Rocm)]
    public void Apply_OnAGpuWithNothingGiven_TakesTheGpuLimits(DeviceKind device)
    {
        var limits = GpuSchedulerDefaults.Apply(new SchedulerOptions(), device, Nothing);

        Assert.Equal((256, 8192, 2048), (limits.MaxRunningSequences, limits.MaxBatchTokensPerStep, limits.PrefillChunkSize));
        Assert.Equal((4096, 16L << 20), (limits.MaxWaitingRequests, limits.MaxWaitingPromptTokens));
        Assert.Equal(4L << 30, limits.PrefixCacheMaxBytes);
        limits.Validate();
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.Auto)]
    public void Apply_OffAGpu_KeepsTheOptions(DeviceKind device)
    {
        var options = new SchedulerOptions { PrefixCacheInterval = 128 };

        Assert.Same(options, GpuSchedulerDefaults.Apply(options, device, Nothing));
    }

    [Fact]
    public void Apply_GivenSettingsWin_AndTheOthersKeepTheirValues()
    {
        var options = new SchedulerOptions
        {
            MaxRunningSequences = 32, PrefillChunkSize = 300, MaxWaitingRequests = 9, PrefixCacheInterval = 64, PrefixCacheMaxBytes = 0,
        };

        var limits = GpuSchedulerDefaults.Apply(
            options, DeviceKind.Cuda, n => n is "MaxRunningSequences" or "PrefillChunkSize" or "MaxWaitingRequests" or "PrefixCacheMaxBytes");

        Assert.Equal((32, 8192, 300, 9), (limits.MaxRunningSequences, limits.MaxBatchTokensPerStep, limits.PrefillChunkSize, limits.MaxWaitingRequests));
        Assert.Equal((GpuSchedulerDefaults.MaxWaitingPromptTokens, 64, 0L), (limits.MaxWaitingPromptTokens, limits.PrefixCacheInterval, limits.PrefixCacheMaxBytes));
    }

    [Fact]
    public void Apply_AGivenSequenceLimitPastTheDefaultBudget_RaisesTheBudgetToValidate()
    {
        var options = new SchedulerOptions { MaxRunningSequences = 10_000 };

        var limits = GpuSchedulerDefaults.Apply(options, DeviceKind.Cuda, n => n == "MaxRunningSequences");

        Assert.Equal(10_000, limits.MaxRunningSequences);
        Assert.Equal(10_000 + GpuSchedulerDefaults.PrefillChunkSize, limits.MaxBatchTokensPerStep);
        limits.Validate();
    }

    [Fact]
    public void Apply_AGivenBudgetBelowTheDefaultSequences_LowersTheSequencesToValidate()
    {
        var options = new SchedulerOptions { MaxBatchTokensPerStep = 100 };

        var limits = GpuSchedulerDefaults.Apply(options, DeviceKind.Rocm, n => n == "MaxBatchTokensPerStep");

        Assert.Equal((99, 100), (limits.MaxRunningSequences, limits.MaxBatchTokensPerStep));
        limits.Validate();
    }
}
