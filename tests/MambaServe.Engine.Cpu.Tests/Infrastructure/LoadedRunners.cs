using System.Collections.Concurrent;
using MambaServe.Engine.Cpu;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Loading;
using MambaServe.Engine.State;

namespace MambaServe.Engine.Cpu.Tests.Infrastructure;

/// <summary>Checkpoints are loaded once per test run; each test builds its own runner (runners own mutable state).</summary>
public static class LoadedRunners
{
    private static readonly ConcurrentDictionary<string, LoadedCheckpoint> Checkpoints = new();

    public static LoadedCheckpoint Checkpoint(string modelDir) => Checkpoints.GetOrAdd(modelDir, CheckpointLoader.Load);

    public static CpuModelRunner Create(string modelDir, int slots = 4, StateDType ssmStateDType = StateDType.Float32)
    {
        var c = Checkpoint(modelDir);
        return new CpuModelRunner(c.Config, c.Weights, slots, ssmStateDType: ssmStateDType);
    }

    /// <summary>A runner that reads the checkpoint's files as the server does, keeping its matrices as <paramref name="dtype"/> asks.</summary>
    public static CpuModelRunner FromFiles(string modelDir, ModelDType dtype, int slots = 4) =>
        new(CheckpointWeightSource.Open(modelDir), slots, dtype: dtype);
}
