namespace MambaServe.Engine.Scheduling;

/// <summary>A point-in-time view of the engine, published after each step; safe to read from any thread.</summary>
/// <param name="RunningSequences">Samples holding a slot (prefilling or decoding).</param>
/// <param name="WaitingRequests">Requests accepted but not yet holding slots.</param>
public sealed record EngineStats(
    int RunningSequences,
    int WaitingRequests,
    int SlotsInUse,
    int SlotsTotal,
    long PrefixCacheHits,
    long PrefixCacheLookups,
    long Steps);
