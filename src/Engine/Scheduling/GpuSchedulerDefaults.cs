using MambaServe.Engine.Backends;

namespace MambaServe.Engine.Scheduling;

/// <summary>
/// Scheduler limits for a model served on a GPU, for the settings a deployment leaves out. The CPU defaults (64
/// sequences, 2,048 tokens a step, 512-token prefill chunks) suit a few cores; on a GPU they would cap the batch at 64
/// (a bf16-state mamba-2.8b step on the H200 decodes 17.7k tok/s at 64 rows and 41.0k at 256, docs/benchmarks.md) and
/// cut prompts into steps too small for the tensor cores (on the H200 a 1,024-token prompt costs 15.8 us a token
/// alone, 12.4 in a step of eight). vLLM's OpenAI server takes 256 sequences and 2,048 tokens a step on most GPUs,
/// 1,024 and 8,192 on those of 70 GiB or more; here 256 and 8,192 on any GPU: a Mamba sequence holds a fixed state
/// (~23 MB at mamba-2.8b with an fp32 state), not a cache that grows, and the sampler takes 256 targets a launch.
/// The state pool follows the sequence limit (as many slots as fit in free device memory, up to it).
/// The queue grows with it: vLLM queues every request it cannot run yet, and its benchmark client (<c>vllm bench
/// serve</c>) sends its 1,000 prompts at once by default; with the CPU's 256 waiting requests beside 256 running, 488
/// of them would get 429s. 4,096 waiting requests and 16 Mi waiting prompt tokens (~64 MB of token ids) keep a
/// bound for a deployment that scales out on the queue (docs/deployment.md).
/// The prefix-state cache gets 4 GiB rather than the CPU's 256 MB: it keeps the state every answer ends with for the
/// conversation's next turn, and 256 MB holds eleven mamba-2.8b states (23 MB with an fp32 state), too few for the
/// conversations of one server; 4 GiB holds ~180 (~340 with a bf16 state), 5% of an 80 GB device. It fills as it is
/// used, from the memory the pool sizing leaves free (GpuPoolSizing's margin); a snapshot that finds none left leaves
/// its entry out.
/// </summary>
public static class GpuSchedulerDefaults
{
    public const int MaxRunningSequences = 256;
    public const int MaxBatchTokensPerStep = 8192;
    public const int PrefillChunkSize = 2048;
    public const int MaxWaitingRequests = 4096;
    public const long MaxWaitingPromptTokens = 16L << 20;
    public const long PrefixCacheMaxBytes = 4L << 30;

    private static bool IsGpu(DeviceKind device) => device is DeviceKind.Cuda or DeviceKind.Rocm;

    /// <summary>
    /// <paramref name="options"/> with the GPU defaults in place of the settings <paramref name="given"/> does not name
    /// (<see cref="SchedulerOptions"/> property names), on a GPU; unchanged on the CPU. Given settings win, and the
    /// defaults bend to them so that the result validates: the sequence limit below a given step budget, the budget
    /// above a given sequence limit.
    /// </summary>
    public static SchedulerOptions Apply(SchedulerOptions options, DeviceKind device, Func<string, bool> given)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(given);
        if (!IsGpu(device))
        {
            return options;
        }

        bool givenTokens = given(nameof(SchedulerOptions.MaxBatchTokensPerStep));
        int sequences = given(nameof(SchedulerOptions.MaxRunningSequences))
            ? options.MaxRunningSequences
            : givenTokens ? Math.Clamp(options.MaxBatchTokensPerStep - 1, 1, MaxRunningSequences) : MaxRunningSequences;
        int tokens = givenTokens ? options.MaxBatchTokensPerStep : Math.Max(MaxBatchTokensPerStep, sequences + PrefillChunkSize);
        int chunk = given(nameof(SchedulerOptions.PrefillChunkSize)) ? options.PrefillChunkSize : PrefillChunkSize;
        int waiting = given(nameof(SchedulerOptions.MaxWaitingRequests)) ? options.MaxWaitingRequests : MaxWaitingRequests;
        long waitingTokens = given(nameof(SchedulerOptions.MaxWaitingPromptTokens)) ? options.MaxWaitingPromptTokens : MaxWaitingPromptTokens;
        long prefixCache = given(nameof(SchedulerOptions.PrefixCacheMaxBytes)) ? options.PrefixCacheMaxBytes : PrefixCacheMaxBytes;
        return options with
        {
            MaxRunningSequences = sequences,
            MaxBatchTokensPerStep = tokens,
            PrefillChunkSize = chunk,
            MaxWaitingRequests = waiting,
            MaxWaitingPromptTokens = waitingTokens,
            PrefixCacheMaxBytes = prefixCache,
        };
    }
}
