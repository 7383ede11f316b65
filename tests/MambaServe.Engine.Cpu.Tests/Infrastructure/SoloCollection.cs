namespace MambaServe.Engine.Cpu.Tests.Infrastructure;

/// <summary>
/// Tests that read the process's peak resident memory run alone: another test's allocations at the same time would be
/// counted as theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoloCollection
{
    public const string Name = "Solo";
}
