using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MambaServe.Engine.Backends;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Telemetry;

namespace MambaServe.Engine.Scheduling;

/// <summary>
/// The engine: one dedicated thread owns the model runner, state pool, prefix cache and scheduler and runs
/// schedule → execute → update steps while there is work (vLLM's engine-core contract). Requests come in through a
/// channel; each request's updates go out through its own channel (llama.cpp's queue/response split). Cancelling a
/// request is a flag the loop acts on at its next step. Host it from a BackgroundService: <see cref="Start"/> in
/// StartAsync, <see cref="StopAsync"/> in StopAsync. The runner stays owned (and disposed) by the caller.
/// </summary>
public sealed partial class EngineLoop : IGenerationEngine, IRunnerOperations, IAsyncDisposable
{
    private const int NotStarted = 0, Running = 1, Stopping = 2, Stopped = 3;

    private readonly EngineCore _core;
    private readonly IModelRunner _runner;
    private readonly SchedulerOptions _options;
    private readonly TimeProvider _time;
    private readonly EngineMetrics? _metrics;
    private readonly AdmissionGate _gate;
    private readonly UpdateOutbox _outbox = UpdateOutbox.Background();
    private readonly Channel<SequenceGroup> _inbox = Channel.CreateUnbounded<SequenceGroup>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private volatile EngineStats _stats;
    private volatile bool _abortNow;
    private int _state;
    private long _arrivals;
    private DateTimeOffset _graceDeadline;
    private int _stepInputTokens, _stepOutputTokens;

    public EngineLoop(
        IModelRunner runner,
        SchedulerOptions options,
        IPromptScorer scorer,
        ITextStreamFactory texts,
        TimeProvider? timeProvider = null,
        EngineMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(texts);
        _runner = runner;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _metrics = metrics;
        _gate = new AdmissionGate(options.MaxWaitingRequests, options.MaxWaitingPromptTokens);
        _core = new EngineCore(runner, options, scorer, texts, _time, _gate, _outbox)
        {
            TokensProcessed = (input, output) =>
            {
                _stepInputTokens += input;
                _stepOutputTokens += output;
            },
            TakeArrivals = SubmitArrivals,
        };
        _stats = _core.Stats;
        metrics?.Attach(() => _stats);
        _thread = new Thread(Run) { IsBackground = true, Name = "MambaServe engine loop" };
    }

    /// <summary>The latest published view of the engine (after the last step); any thread.</summary>
    public EngineStats Stats => _stats;

    /// <summary>Completes when the loop thread has exited (after <see cref="StopAsync"/>).</summary>
    public Task Completion => _completion.Task;

    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, Running, NotStarted) != NotStarted)
        {
            throw new InvalidOperationException("The engine loop was already started.");
        }

        _outbox.Start();
        _thread.Start();
    }

    /// <summary>
    /// Stops admitting (new requests get <see cref="EngineStoppedException"/>), lets in-flight and queued requests
    /// finish for up to <see cref="SchedulerOptions.ShutdownGracePeriod"/>, then ends the rest with
    /// <see cref="FinishReason.Abort"/>. Cancelling <paramref name="cancellationToken"/> aborts at once (the host's
    /// shutdown timeout). Completes when the loop thread has exited.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        // Written before the state changes so the loop, which reads it only once it sees Stopping, never sees a stale one.
        if (Volatile.Read(ref _state) == Running)
        {
            _graceDeadline = _time.GetUtcNow() + _options.ShutdownGracePeriod;
        }

        int previous = Interlocked.CompareExchange(ref _state, Stopping, Running);
        if (previous == NotStarted && Interlocked.CompareExchange(ref _state, Stopped, NotStarted) == NotStarted)
        {
            _inbox.Writer.TryComplete();
            _outbox.Dispose();
            _completion.TrySetResult();
            return;
        }

        // Completing the inbox wakes an idle loop; the loop still drains what was written before.
        _inbox.Writer.TryComplete();
        await using (cancellationToken.Register(() => _abortNow = true))
        {
            await _completion.Task.ConfigureAwait(false);
        }
    }

    public IAsyncEnumerable<GenerationUpdate> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.PromptTokens.Count == 0)
        {
            throw new ArgumentException("The prompt has no tokens.", nameof(request));
        }

        if (request.N < 1 || request.N > _core.MaxRunningSamples)
        {
            throw new ArgumentException($"n must be between 1 and {_core.MaxRunningSamples}.", nameof(request));
        }

        if (request.SaveState is not null && request.N != 1)
        {
            throw new ArgumentException("Only a request with n = 1 can save its final state.", nameof(request));
        }

        if (request.Constraint is { EndsWithEos: true } && (request.Sampling.IgnoreEos || request.Sampling.MinTokens > 0))
        {
            // A structured output ends with EOS when its grammar is complete, and only then may EOS come.
            throw new ArgumentException("A constrained output cannot ignore EOS or ban it (min_tokens).", nameof(request));
        }

        if (request.Constraint is TokenRules rules && request.Sampling.MinTokens > 0
            && !rules.AllowsSomeBeyond(_core.MinTokensBans(request.Sampling)!))
        {
            throw new ArgumentException(
                "allowed_token_ids holds only EOS and stop tokens, which min_tokens bans for the first tokens: no token could be sampled.", nameof(request));
        }

        if (Volatile.Read(ref _state) != Running)
        {
            throw new EngineStoppedException("The engine is not accepting requests (not started or shutting down).");
        }

        _gate.Enter(request.PromptTokens.Count);
        DateTimeOffset? deadline = request.Timeout is { } timeout ? _time.GetUtcNow() + timeout : null;
        long seed = request.Sampling.Seed ?? Random.Shared.NextInt64();
        var group = new SequenceGroup(request, Interlocked.Increment(ref _arrivals), deadline, seed);
        if (!_inbox.Writer.TryWrite(group))
        {
            _gate.Release(request.PromptTokens.Count);
            throw new EngineStoppedException("The engine is shutting down.");
        }

        return ReadUpdatesAsync(group, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
    }

    private static async IAsyncEnumerable<GenerationUpdate> ReadUpdatesAsync(
        SequenceGroup group, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool completed = false;
        try
        {
            await foreach (var update in group.Updates.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }

            completed = true;
        }
        finally
        {
            // Cancelled, failed or abandoned by the reader: the loop frees the slots at its next step.
            if (!completed)
            {
                group.RequestAbort();
            }
        }
    }

    private void Run()
    {
        try
        {
            while (true)
            {
                RunOperations();
                SubmitArrivals();

                if (!_core.HasWork)
                {
                    // Idle: block until a request or a runner operation arrives; false means stopping with nothing left.
                    if (!WaitForWork())
                    {
                        break;
                    }

                    continue;
                }

                if (Volatile.Read(ref _state) == Stopping && (_abortNow || _time.GetUtcNow() >= _graceDeadline))
                {
                    _core.AbortAll();
                    continue;
                }

                RunStep();
            }
        }
        finally
        {
            // Only reached with work left if the loop itself broke: never leave a caller waiting.
            Volatile.Write(ref _state, Stopped);
            _inbox.Writer.TryComplete();
            SubmitArrivals();

            _core.FailAll(new EngineStoppedException("The engine loop stopped."));
            _core.ReleasePrefixCache();
            MarkOperationsInline();
            _stats = _core.Stats;
            // Every update posted reaches its channel before the engine counts as stopped.
            _outbox.Dispose();
            _completion.TrySetResult();
        }
    }

    /// <summary>Hands the requests that arrived to the engine (at each turn of the loop, and while a step runs).</summary>
    private void SubmitArrivals()
    {
        while (_inbox.Reader.TryRead(out var group))
        {
            _core.Submit(group);
        }
    }

    private void RunStep()
    {
        long started = _time.GetTimestamp();
        int tokens;
        try
        {
            tokens = _core.Step();
        }
        catch (Exception ex)
        {
            // Per-request failures are handled inside the step; reaching here is a bug in the engine itself, so end
            // what is in flight rather than leave callers waiting forever, and keep serving.
            _core.FailAll(ex);
            tokens = 0;
        }

        _metrics?.RecordStep(_time.GetElapsedTime(started));
        _metrics?.AddTokens(_stepInputTokens, _stepOutputTokens);
        _stepInputTokens = _stepOutputTokens = 0;
        _stats = _core.Stats;
        if (tokens == 0)
        {
            // Nothing could run (e.g. only aborted requests were swept): do not spin a core at full speed.
            Thread.Sleep(1);
        }
    }
}
