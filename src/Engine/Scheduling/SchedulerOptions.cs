namespace MambaServe.Engine.Scheduling;

/// <summary>Scheduling limits; immutable, validated by <see cref="Validate"/> when the engine is built.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Samples decoding at once (also bounded by the state pool's slot count).</summary>
    public int MaxRunningSequences { get; init; } = 64;

    /// <summary>Tokens per step: one per decoding sample, the rest for prefill chunks.</summary>
    public int MaxBatchTokensPerStep { get; init; } = 2048;

    /// <summary>Longest prefill chunk for one sequence in one step.</summary>
    public int PrefillChunkSize { get; init; } = 512;

    /// <summary>Requests admitted but not yet given slots; beyond it GenerateAsync throws EngineOverloadedException.</summary>
    public int MaxWaitingRequests { get; init; } = 256;

    /// <summary>Prompt tokens of all waiting requests together; same rejection as above.</summary>
    public long MaxWaitingPromptTokens { get; init; } = 1 << 20;

    /// <summary>Prefix states are cached every this many prompt tokens; chunk ends are aligned to it when possible.</summary>
    public int PrefixCacheInterval { get; init; } = 256;

    /// <summary>Bytes of cached prefix states; 0 disables the prefix cache.</summary>
    public long PrefixCacheMaxBytes { get; init; } = 256L << 20;

    /// <summary>
    /// Whether a sequence that finishes (by a stop token or by length) leaves its last state in the prefix cache, keyed
    /// by its prompt and generated tokens, so that the next turn of a chat, resent whole, prefills only what is new.
    /// </summary>
    public bool PrefixCacheFinishedStates { get; init; } = true;

    /// <summary>
    /// On a runner that computes asynchronously (the GPU), begin each decode step before the one before it has ended,
    /// its tokens taken on the device (docs/gpu-engine.md section 2, "Steps the host does not wait for"): decode steps
    /// 0.5-2.5% shorter, while a request that arrives is admitted one step later (the decision is taken a step earlier).
    /// </summary>
    public bool RunAhead { get; init; } = true;

    /// <summary>How long StopAsync lets in-flight requests finish before aborting them.</summary>
    public TimeSpan ShutdownGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRunningSequences, 1, nameof(MaxRunningSequences));
        ArgumentOutOfRangeException.ThrowIfLessThan(PrefillChunkSize, 1, nameof(PrefillChunkSize));
        // A step must have room for every running sample's decode token plus at least one prefill token, or a waiting
        // request could starve behind a full batch forever.
        if (MaxBatchTokensPerStep <= MaxRunningSequences)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchTokensPerStep), MaxBatchTokensPerStep,
                $"must be more than MaxRunningSequences ({MaxRunningSequences}): a step holds a token of every running sequence and at least one prompt token.");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(MaxWaitingRequests, nameof(MaxWaitingRequests));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxWaitingPromptTokens, nameof(MaxWaitingPromptTokens));
        ArgumentOutOfRangeException.ThrowIfLessThan(PrefixCacheInterval, 1, nameof(PrefixCacheInterval));
        ArgumentOutOfRangeException.ThrowIfNegative(PrefixCacheMaxBytes, nameof(PrefixCacheMaxBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(ShutdownGracePeriod, TimeSpan.Zero, nameof(ShutdownGracePeriod));
    }
}
