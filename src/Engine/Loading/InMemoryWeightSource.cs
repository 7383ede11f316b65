namespace MambaServe.Engine.Loading;

/// <summary>Weights already in memory: random ones for benchmarks, or a checkpoint loaded once and shared by tests.</summary>
public sealed class InMemoryWeightSource(MambaConfig config, MambaWeights weights) : IWeightSource
{
    public MambaConfig Config { get; } = config;

    public MambaWeights ReadFloat32() => weights;
}
