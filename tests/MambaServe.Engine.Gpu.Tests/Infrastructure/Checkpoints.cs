using System.Collections.Concurrent;
using MambaServe.Engine.Loading;

namespace MambaServe.Engine.Gpu.Tests.Infrastructure;

/// <summary>Checkpoints are read once per test run and shared (read-only) by the tests.</summary>
public static class Checkpoints
{
    private static readonly ConcurrentDictionary<string, LoadedCheckpoint> Loaded = new();

    public static LoadedCheckpoint Load(string modelDir) => Loaded.GetOrAdd(modelDir, CheckpointLoader.Load);
}
