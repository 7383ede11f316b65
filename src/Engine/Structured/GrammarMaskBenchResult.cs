namespace MambaServe.Engine.Structured;

/// <summary><see cref="GrammarMaskBench"/>'s figures: a new state's mask is computed once, a cached one is looked up.</summary>
/// <param name="VocabularyBuild">Making the vocabulary's prefix tree, once per tokenizer, on the request path.</param>
public sealed record GrammarMaskBenchResult(int Vocabulary, int States, int DistinctStates, TimeSpan VocabularyBuild, TimeSpan PerNewState, TimeSpan PerCachedLookup);
