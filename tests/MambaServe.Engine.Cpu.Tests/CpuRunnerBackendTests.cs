using MambaServe.Engine.Backends;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.State;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Cpu.Tests;

/// <summary>The CPU backend as the server finds it: by assembly name, at run time.</summary>
public sealed class CpuRunnerBackendTests
{
    [Fact]
    public void Resolve_AutoInBuildWithoutGpuBackend_TakesTheCpu()
    {
        var backend = RunnerBackends.Resolve(DeviceKind.Auto);

        Assert.IsType<CpuRunnerBackend>(backend);
        Assert.Null(backend.WhyUnavailable());
    }

    [Fact]
    public void Resolve_CudaInBuildWithoutGpuBackend_ThrowsNamingIt()
    {
        var ex = Assert.Throws<BackendUnavailableException>(() => RunnerBackends.Resolve(DeviceKind.Cuda));

        Assert.Contains("cuda", ex.Message);
    }

    [Fact]
    public void CreateRunner_Float16_RefusedAsASettingNamingIt()
    {
        var weights = CheckpointWeightSource.Open(ReferenceSet.ModelDir("tiny-b"));
        var options = new RunnerOptions(weights, new StatePoolOptions { SlotCount = 1 }, 900, Threads: 1, DType: ModelDType.Float16);

        var ex = Assert.Throws<SettingNotSupportedException>(() => RunnerBackends.Resolve(DeviceKind.Cpu).CreateRunner(options));

        Assert.Contains("dtype float16 is not supported by the CPU runner", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateRunner_FromCheckpoint_SizesPoolAndDescribesDevice()
    {
        var weights = CheckpointWeightSource.Open(ReferenceSet.ModelDir("tiny-b"));
        var options = new RunnerOptions(weights, new StatePoolOptions { SlotCount = 3, SsmStateDType = StateDType.BFloat16 }, 900, Threads: 1);

        using var runner = RunnerBackends.Resolve(DeviceKind.Cpu).CreateRunner(options);

        Assert.Equal((3, 1000), (runner.SlotCount, runner.LogitsWidth));
        Assert.Equal(DeviceKind.Cpu, runner.Device.Kind);
        Assert.Contains("bf16 state", runner.Device.ToString());
        Assert.Null(runner.FaultReason);

        // Ids at or above the sampleable vocab are never chosen, even when a bias pushes one to the top.
        var batch = new StepBatch();
        var forced = new SamplingParams { Temperature = 0, LogitBias = new Dictionary<int, float> { [950] = 100, [899] = 50 } };
        var target = batch.AddChunk(2, new[] { 1, 2, 3 }).AddSample(2, new SequenceSampling(forced, 1, [1, 2, 3]));
        runner.Step(batch);
        Assert.Equal(899, target.Chosen!.Value.TokenId);
    }
}
