using MambaServe.Engine.State;

namespace MambaServe.Engine.Scheduling;

/// <summary>
/// Decides what each engine step runs (iteration-level scheduling): every decoding sample gets one token, and the rest
/// of the step's token budget goes to prefill chunks, first of groups already prefilling, then of waiting groups
/// admitted in (priority, arrival) order. A long prompt is therefore split over many steps and never stalls decoding.
/// Admission is strict head-of-line: a group is admitted only when all its n slots are free, and nothing behind it
/// jumps the queue. Pure bookkeeping: no runner calls except slot zeroing through the pool, no I/O, no clock.
/// Engine loop thread only.
/// </summary>
internal sealed class Scheduler
{
    private readonly SchedulerOptions _options;
    private readonly StatePool _pool;
    private readonly PrefixStateCache? _prefixCache;
    private readonly PriorityQueue<SequenceGroup, (int Priority, long Arrival)> _waiting = new();
    private readonly List<SequenceGroup> _running = [];
    private readonly StepPlan _plan = new();
    private int _scoredRowsLeft;

    public Scheduler(SchedulerOptions options, StatePool pool, PrefixStateCache? prefixCache)
    {
        _options = options;
        _pool = pool;
        _prefixCache = prefixCache;
    }

    /// <summary>
    /// Prompt tokens scored per step at most. Each is a row of all-position logits that the runner hands back (for
    /// a 50k vocab, 200 KB each), so this bounds the runner's logits buffer and its copy from a device.
    /// </summary>
    public const int ScoredRowsPerStep = 256;

    /// <summary>Groups in the waiting queue (removed ones are dropped lazily, so this may briefly overcount).</summary>
    public int WaitingCount => _waiting.Count;

    /// <summary>Groups holding slots (prefilling or decoding).</summary>
    public IReadOnlyList<SequenceGroup> Running => _running;

    /// <summary>Samples that may hold slots at once: the smaller of the option and the pool size.</summary>
    public int MaxRunningSamples => Math.Min(_options.MaxRunningSequences, _pool.Total);

    public void Enqueue(SequenceGroup group)
    {
        group.Phase = GroupPhase.Waiting;
        _waiting.Enqueue(group, (group.Request.Priority, group.ArrivalOrder));
    }

    /// <summary>Plans the next step. The returned plan is reused: valid until the next call.</summary>
    public StepPlan Schedule()
    {
        _plan.Clear();
        _scoredRowsLeft = ScoredRowsPerStep;
        foreach (var group in _running)
        {
            if (group.Phase != GroupPhase.Decoding)
            {
                continue;
            }

            foreach (var sample in group.Samples)
            {
                if (!sample.Finished)
                {
                    _plan.Decodes.Add(sample);
                }
            }
        }

        int budget = _options.MaxBatchTokensPerStep - _plan.Decodes.Count;
        foreach (var group in _running)
        {
            if (budget <= 0)
            {
                break;
            }

            if (group.Phase == GroupPhase.Prefilling)
            {
                budget -= AddChunk(group, budget);
            }
        }

        while (budget > 0 && TryAdmitNext(out var admitted))
        {
            budget -= AddChunk(admitted, budget);
        }

        _plan.TokenCount = _options.MaxBatchTokensPerStep - budget;
        return _plan;
    }

    /// <summary>
    /// Whether the next step would hold more than the decodes of the running samples: a prompt still prefilling, or a
    /// waiting request that could be admitted now (the engine runs ahead only without such work).
    /// </summary>
    public bool HasPrefillWork()
    {
        foreach (var group in _running)
        {
            if (group.Phase == GroupPhase.Prefilling)
            {
                return true;
            }
        }

        return TryPeekWaiting(out var head) && HasSlotsFor(head);
    }

    /// <summary>Frees a finished sample's slot (the step it finishes).</summary>
    public void ReleaseSample(SampleState sample)
    {
        if (sample.Slot >= 0)
        {
            _pool.Release(sample.Slot);
            sample.Slot = -1;
        }
    }

    /// <summary>Takes a group out of scheduling (finished, aborted, failed) and frees all its slots.</summary>
    public void Remove(SequenceGroup group)
    {
        foreach (var sample in group.Samples)
        {
            ReleaseSample(sample);
        }

        if (group.Phase is GroupPhase.Prefilling or GroupPhase.Decoding)
        {
            _running.Remove(group);
        }

        // A waiting group stays in the priority queue and is skipped when it reaches the head.
        group.Phase = GroupPhase.Done;
    }

    private bool TryAdmitNext(out SequenceGroup admitted)
    {
        if (!TryPeekWaiting(out admitted) || !HasSlotsFor(admitted))
        {
            return false;
        }

        if (admitted.WantsPromptLogprobs && _scoredRowsLeft == 0)
        {
            return false; // it could not start this step; it is admitted (and holds slots) once it can
        }

        _waiting.Dequeue();
        foreach (var sample in admitted.Samples)
        {
            _pool.TryLease(out int slot);
            sample.Slot = slot;
        }

        admitted.Phase = GroupPhase.Prefilling;
        _running.Add(admitted);
        _plan.Admitted.Add(admitted);
        LookUpPrefix(admitted);
        return true;
    }

    /// <summary>The waiting queue's head, past the groups that ended while they waited (dropped here).</summary>
    private bool TryPeekWaiting(out SequenceGroup head)
    {
        while (_waiting.TryPeek(out head!, out _))
        {
            if (head.Phase != GroupPhase.Done)
            {
                return true;
            }

            _waiting.Dequeue();
        }

        return false;
    }

    /// <summary>Whether the pool and the running limit leave a slot for every sample of <paramref name="group"/>.</summary>
    private bool HasSlotsFor(SequenceGroup group)
    {
        int needed = group.Samples.Length;
        return _pool.Free >= needed && _pool.InUse + needed <= MaxRunningSamples;
    }

    private void LookUpPrefix(SequenceGroup group)
    {
        // Prompt logprobs need every position's logits, which a restored prefix does not give; a prompt that follows a
        // start state is not a prefix from zero, so cached prefixes do not describe it.
        if (_prefixCache is null || _prefixCache.MaxBytes == 0 || group.WantsPromptLogprobs || group.Request.Start is not null)
        {
            return;
        }

        // At least one token is always prefilled: the first sampled token needs the last position's logits.
        if (_prefixCache.FindDeepest(group.Prompt, group.Prompt.Length - 1, group.Request.CacheSalt) is { } hit)
        {
            group.PendingRestore = hit.Snapshot;
            group.PrefilledLength = hit.Length;
            group.CachedPromptTokens = hit.Length;
        }
    }

    /// <summary>
    /// Plans the group's next chunk within <paramref name="budget"/> tokens and returns its length (0: none this
    /// step). With the prefix cache on, a chunk never crosses a cache boundary: the state at each boundary is then the
    /// state after some chunk, which the engine snapshots, and the runner never has to stop inside an entry. A chunk
    /// that scores its prompt also fits the step's all-logits rows (<see cref="ScoredRowsPerStep"/>).
    /// </summary>
    private int AddChunk(SequenceGroup group, int budget)
    {
        int start = group.PrefilledLength;
        int end = start + Math.Min(Math.Min(group.Prompt.Length - start, _options.PrefillChunkSize), budget);
        if (group.WantsPromptLogprobs)
        {
            end = Math.Min(end, start + _scoredRowsLeft);
        }

        int interval = _options.PrefixCacheInterval;
        if (_prefixCache is { MaxBytes: > 0 })
        {
            end = Math.Min(end, (start / interval + 1) * interval);
        }
        else if (end < group.Prompt.Length && end / interval * interval > start)
        {
            end = end / interval * interval; // aligned all the same, so turning the cache on changes no chunk plan but long ones
        }

        if (end <= start)
        {
            return 0;
        }

        if (group.WantsPromptLogprobs)
        {
            _scoredRowsLeft -= end - start;
        }

        _plan.Prefills.Add(new PrefillChunk(group, start, end - start));
        return end - start;
    }
}
