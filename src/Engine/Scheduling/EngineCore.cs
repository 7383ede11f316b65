using MambaServe.Engine.Backends;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.State;

namespace MambaServe.Engine.Scheduling;

/// <summary>
/// The synchronous heart of the engine: owns the runner, the state pool, the prefix cache and the scheduler, and runs
/// one schedule → execute → update step per <see cref="Step"/> call, handing the runner one <see cref="StepBatch"/>
/// per step. No threads here; <see cref="EngineLoop"/> drives it from its dedicated thread and tests drive it step by
/// step. A failure is confined to the requests it belongs to (docs/gpu-engine.md section 2, faults).
/// </summary>
internal sealed partial class EngineCore
{
    private readonly IModelRunner _runner;
    private readonly SchedulerOptions _options;
    private readonly IPromptScorer _scorer;
    private readonly ITextStreamFactory _texts;
    private readonly UpdateOutbox _outbox;
    private readonly TimeProvider _time;
    private readonly AdmissionGate? _gate;
    private readonly StatePool _pool;
    private readonly PrefixStateCache? _prefixCache;
    private readonly Scheduler _scheduler;
    private readonly List<SequenceGroup> _active = [];
    private readonly List<SequenceGroup> _expired = [];
    private readonly int _width;
    // The step's batch and what the engine put in it; running ahead, the batch begun for the next step, and a spare
    // that the batch after that is built in, because the next batch's entries continue the targets of this one
    // (StepBatch.AddNextToken), which must stay as they are until it ends.
    private StepBatch _batch = new();
    private List<PlannedEntry> _planned = [];
    private StepBatch _nextBatch = new();
    private List<PlannedEntry> _nextPlanned = [];
    private StepBatch _spareBatch = new();
    private List<PlannedEntry> _sparePlanned = [];
    private bool _aheadBegun;
    private long _steps;
    private long _stepsBegunAhead;

    public EngineCore(
        IModelRunner runner,
        SchedulerOptions options,
        IPromptScorer scorer,
        ITextStreamFactory texts,
        TimeProvider time,
        AdmissionGate? gate = null,
        UpdateOutbox? outbox = null)
    {
        options.Validate();
        _runner = runner;
        _options = options;
        _scorer = scorer;
        _texts = texts;
        _time = time;
        _gate = gate;
        _outbox = outbox ?? UpdateOutbox.Inline();
        _pool = new StatePool(runner.SlotCount, runner.ZeroSlot);
        _prefixCache = options.PrefixCacheMaxBytes > 0
            ? new PrefixStateCache(options.PrefixCacheInterval, options.PrefixCacheMaxBytes)
            : null;
        _scheduler = new Scheduler(options, _pool, _prefixCache);
        _width = runner.LogitsWidth;
    }

    /// <summary>Requests are active, or a batch begun ahead is still to end.</summary>
    public bool HasWork => _active.Count > 0 || _aheadBegun;

    public int ActiveCount => _active.Count;

    public StatePool Pool => _pool;

    public PrefixStateCache? PrefixCache => _prefixCache;

    public int MaxRunningSamples => _scheduler.MaxRunningSamples;

    public EngineStats Stats => new(
        _pool.InUse,
        _gate?.WaitingRequests ?? _active.Count(g => g.Phase == GroupPhase.Waiting),
        _pool.InUse,
        _pool.Total,
        _prefixCache?.Hits ?? 0,
        _prefixCache?.Lookups ?? 0,
        _steps,
        _stepsBegunAhead,
        _prefixCache?.QueriedTokens ?? 0,
        _prefixCache?.HitTokens ?? 0,
        _prefixCache?.Count ?? 0,
        _prefixCache?.SizeInBytes ?? 0);

    /// <summary>Called by <see cref="Step"/> with the number of input (prompt) and output tokens it processed.</summary>
    public Action<int, int>? TokensProcessed { get; set; }

    /// <summary>
    /// Called by <see cref="Step"/> while its batch runs, just before it decides whether to begin the next one ahead,
    /// to <see cref="Submit"/> the requests that arrived since the step began (the loop's inbox), so that they are
    /// admitted into the next step rather than the one after.
    /// </summary>
    public Action? TakeArrivals { get; set; }

    public void Submit(SequenceGroup group)
    {
        _active.Add(group);
        _scheduler.Enqueue(group);
    }

    /// <summary>
    /// One engine step: drops aborted and timed-out requests, then runs every decoding sample's next token and this
    /// step's prefill chunks as one batch, and publishes the resulting updates. Returns the tokens run. On a runner that
    /// runs ahead (<see cref="IModelRunner.RunsAhead"/>) a step of decodes alone begins the next step's batch before it
    /// ends its own, and the next step is that batch (docs/gpu-engine.md section 2).
    /// </summary>
    public int Step()
    {
        try
        {
            SweepAbortsAndTimeouts();
            int tokens;
            if (_aheadBegun)
            {
                _aheadBegun = false;
                tokens = _batch.TokenCount;
            }
            else
            {
                StoreFinishedStates();
                var plan = _scheduler.Schedule();
                foreach (var group in plan.Admitted)
                {
                    LeaveWaiting(group);
                }

                tokens = plan.TokenCount;
                BuildBatch(plan);
                RestorePendingPrefixes();
                if (_batch.Entries.Count == 0 || !BeginBatch())
                {
                    _steps++;
                    return tokens;
                }
            }

            bool ahead = TryBeginAhead();
            EndAndApply();
            if (ahead)
            {
                (_batch, _nextBatch, _spareBatch) = (_nextBatch, _spareBatch, _batch);
                (_planned, _nextPlanned, _sparePlanned) = (_nextPlanned, _sparePlanned, _planned);
                _aheadBegun = true;
                _stepsBegunAhead++;
            }

            _steps++;
            return tokens;
        }
        finally
        {
            _outbox.Flush();
        }
    }

    /// <summary>Disposes the cached prefix states (they hold runner memory) once the engine is done.</summary>
    public void ReleasePrefixCache() => _prefixCache?.Clear();

    /// <summary>Ends every request now: unfinished samples get a final <c>Abort</c> update (shutdown).</summary>
    public void AbortAll()
    {
        EndAhead();
        ForgetFinishedStates();
        foreach (var group in _active.ToArray())
        {
            Abort(group, emitFinalUpdates: true);
        }

        _outbox.Flush();
    }

    /// <summary>Ends every request with <paramref name="error"/> (the loop itself failed).</summary>
    public void FailAll(Exception error)
    {
        EndAhead();
        ForgetFinishedStates();
        foreach (var group in _active.ToArray())
        {
            Fail(group, error);
        }

        _outbox.Flush();
    }

    private void SweepAbortsAndTimeouts()
    {
        var now = _time.GetUtcNow();
        _expired.Clear();
        foreach (var group in _active)
        {
            if (group.AbortRequested || group.Deadline <= now)
            {
                _expired.Add(group);
            }
        }

        foreach (var group in _expired)
        {
            if (group.AbortRequested)
            {
                // The reader is gone (cancelled or stopped enumerating): nobody to tell, just free the slots.
                Abort(group, emitFinalUpdates: false);
            }
            else
            {
                Fail(group, new GenerationTimeoutException(
                    $"Request '{group.Request.RequestId}' exceeded its timeout of {group.Request.Timeout}."));
            }
        }
    }

    private void LeaveWaiting(SequenceGroup group)
    {
        if (group.CountedAsWaiting)
        {
            group.CountedAsWaiting = false;
            _gate?.Release(group.Prompt.Length);
        }
    }

    private void Retire(SequenceGroup group)
    {
        group.ReleaseStart();
        LeaveWaiting(group);
        _scheduler.Remove(group);
        _active.Remove(group);
    }
}
