namespace MambaServe.Engine.Structured;

/// <summary><see cref="GrammarMaskBench"/>'s figures: a new state's mask is computed once, a cached one is looked up.</summary>
public sealed record GrammarMaskBenchResult(int Vocabulary, int States, int DistinctStates, TimeSpan PerNewState, TimeSpan PerCachedLookup);
