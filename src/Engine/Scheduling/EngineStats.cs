namespace MambaServe.Engine.Scheduling;

/// <summary>A point-in-time view of the engine, published after each step; safe to read from any thread.</summary>
/// <param name="RunningSequences">Samples holding a slot (prefilling or decoding).</param>
/// <param name="WaitingRequests">Requests accepted but not yet holding slots.</param>
/// <param name="StepsBegunAhead">
/// Steps whose batch was begun while the step before it still ran on the device (running ahead, docs/gpu-engine.md
/// section 2); against <paramref name="Steps"/>, how often a load lets the engine run ahead.
/// </param>
/// <param name="PrefixCacheQueriedTokens">The prompt tokens of every prefix-cache lookup.</param>
/// <param name="PrefixCacheHitTokens">The prompt tokens the prefix cache restored (not prefilled).</param>
/// <param name="PrefixCacheEntries">States the prefix cache holds (prompts' boundaries and answers' ends).</param>
/// <param name="PrefixCacheBytes">What they take (device memory on a GPU), against <c>Scheduler:PrefixCacheMaxBytes</c>.</param>
public sealed record EngineStats(
    int RunningSequences,
    int WaitingRequests,
    int SlotsInUse,
    int SlotsTotal,
    long PrefixCacheHits,
    long PrefixCacheLookups,
    long Steps,
    long StepsBegunAhead,
    long PrefixCacheQueriedTokens = 0,
    long PrefixCacheHitTokens = 0,
    int PrefixCacheEntries = 0,
    long PrefixCacheBytes = 0);
