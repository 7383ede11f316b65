using System.Threading.Channels;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Scheduling;

/// <summary>
/// A request inside the engine: its prompt (prefilled once into the first sample's slot) and its n samples (forked
/// from that state). Fields are owned by the engine loop thread, except <see cref="AbortRequested"/>, which any
/// thread may set, and the update channel's reader, which the caller drains.
/// </summary>
internal sealed class SequenceGroup
{
    private volatile bool _abortRequested;

    public SequenceGroup(GenerationRequest request, long arrivalOrder, DateTimeOffset? deadline, long baseSeed)
    {
        Request = request;
        PendingStart = request.Start;
        Prompt = [.. request.PromptTokens];
        ArrivalOrder = arrivalOrder;
        Deadline = deadline;
        BaseSeed = baseSeed;
        Samples = new SampleState[request.N];
        for (int i = 0; i < Samples.Length; i++)
        {
            Samples[i] = new SampleState(this, i);
        }

        // Unbounded: the engine loop must never block on a slow reader; a reader that stops aborts the request.
        Updates = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
    }

    public GenerationRequest Request { get; }

    public int[] Prompt { get; }

    public long ArrivalOrder { get; }

    public DateTimeOffset? Deadline { get; }

    /// <summary>Sample i draws with seed BaseSeed + i.</summary>
    public long BaseSeed { get; }

    public SampleState[] Samples { get; }

    public Channel<GenerationUpdate> Updates { get; }

    public GroupPhase Phase { get; set; } = GroupPhase.Waiting;

    /// <summary>Prompt tokens already in the first sample's slot (restored or prefilled).</summary>
    public int PrefilledLength { get; set; }

    /// <summary>Prompt tokens whose state came from the prefix cache rather than a prefill (reported in the usage).</summary>
    public int CachedPromptTokens { get; set; }

    /// <summary>A cached prefix state to load into the first slot before the first chunk (owned by the prefix cache).</summary>
    public IStateSnapshot? PendingRestore { get; set; }

    /// <summary>The request's start state until it is restored into the first slot (or the request ends).</summary>
    public InitialState? PendingStart { get; set; }

    /// <summary>Still counted by the admission gate as waiting.</summary>
    public bool CountedAsWaiting { get; set; } = true;

    /// <summary>Prompt logprobs so far, when requested.</summary>
    public List<TokenLogprob>? PromptLogprobs { get; set; }

    /// <summary>The last logits row of the previous chunk, to score the next chunk's first token.</summary>
    public float[]? PreviousLogitsRow { get; set; }

    public int UnfinishedSamples { get; set; }

    public bool AbortRequested => _abortRequested;

    public void RequestAbort() => _abortRequested = true;

    /// <summary>Lets go of the start state if it was never restored (the request ended first).</summary>
    public void ReleaseStart()
    {
        PendingStart?.Release();
        PendingStart = null;
    }

    public bool WantsPromptLogprobs => Request.Sampling.PromptLogprobs is not null;
}
