using MambaServe.Engine.State;

namespace MambaServe.Server.Cli.Bench.Gpu;

/// <summary>What <c>bench gpu</c> measures (defaults: issue 9 point 9).</summary>
public sealed record GpuBenchSettings
{
    public required string Checkpoint { get; init; }
    public IReadOnlyList<StateDType> States { get; init; } = [StateDType.Float32, StateDType.BFloat16];
    public IReadOnlyList<int> DecodeBatches { get; init; } = [1, 8, 64, 256];
    public int DecodeSteps { get; init; } = 50;
    public IReadOnlyList<int> PrefillBatches { get; init; } = [1, 16];
    public int PrefillTokens { get; init; } = 1024;
    public IReadOnlyList<int> SeedBatches { get; init; } = [1, 2, 4, 8, 16, 32, 64, 128];
    public int SeedPromptTokens { get; init; } = 1024;
    public int SeedGeneratedTokens { get; init; } = 1024;

    /// <summary>The scheduler's token budget a step in the seed experiment (prompt chunks and decodes together).</summary>
    public int SeedStepTokens { get; init; } = SeedExperiment.DefaultStepTokens;

    /// <summary>Seed-experiment batches are skipped once this much time went into them (per state dtype).</summary>
    public TimeSpan SeedBudget { get; init; } = TimeSpan.FromMinutes(10);
}
