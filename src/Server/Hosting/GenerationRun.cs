using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;
using MambaServe.Server.Telemetry;

namespace MambaServe.Server.Hosting;

/// <summary>
/// One API request in the engine: every prompt is admitted at once (so 429 and 503 come before any response byte),
/// then the prompts' update streams are merged into one. Cancelling the request token (client disconnect) or
/// disposing early aborts every sequence. Records the GenAI metrics, a trace span per request (with queue+prefill
/// and decode child spans), and one structured log line.
/// </summary>
public sealed partial class GenerationRun : IAsyncDisposable
{
    private readonly Channel<ChoiceUpdate> _updates = Channel.CreateUnbounded<ChoiceUpdate>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _cts;
    private readonly List<Task> _pumps = [];
    private readonly GenerationRunContext _context;
    private readonly ILogger _logger;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Activity? _activity;
    private Activity? _phase;
    private TimeSpan? _firstToken;
    private int _completionTokens;
    private int[] _cachedByPrompt = [];
    private int _remaining;
    private FinishReason? _lastFinish;
    private string? _errorType;
    private bool _finished;
    private bool _recorded;

    private GenerationRun(GenerationRunContext context, CancellationToken ct)
    {
        _context = context;
        _logger = context.Logger;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _activity = context.Telemetry.Source.StartActivity($"{context.Operation} {context.Model.Name}", ActivityKind.Internal);
        _activity?.SetTag("gen_ai.operation.name", context.Operation);
        _activity?.SetTag("gen_ai.request.model", context.Model.Name);
        _activity?.SetTag("mambaserve.request_id", context.RequestId);
        _phase = StartPhase("queue+prefill");
    }

    public int PromptTokens { get; private set; }

    /// <summary>
    /// Of <see cref="PromptTokens"/>, those whose state the engine's prefix cache held, so they were not prefilled: over
    /// every prompt, each counted once its first choice has ended (its final usage says).
    /// </summary>
    public int CachedPromptTokens => _cachedByPrompt.Sum();

    /// <summary>Tokens generated so far, over every choice: the updates <see cref="ReadAllAsync"/> has yielded.</summary>
    public int CompletionTokens => _completionTokens;

    /// <summary>Admits every prompt; throws the engine's admission errors after aborting any prompt already admitted.</summary>
    /// <param name="start">A state the (single) prompt continues from; owned by the run from this call on (released on a refusal).</param>
    /// <param name="saveState">Receives the (single) prompt's final state.</param>
    /// <param name="cacheSalt">vLLM's cache_salt: the prefix-state cache partition of every prompt.</param>
    /// <param name="constraint">The output format every choice follows (structured outputs), or null for free text.</param>
    /// <param name="wrapUp">Ends every choice at its next token, by length, with the state saved (<see cref="GenerationRequest.WrapUp"/>).</param>
    public static async Task<GenerationRun> StartAsync(
        GenerationRunContext context, IReadOnlyList<PreparedPrompt> prompts, SamplingParams sampling, int n, CancellationToken ct,
        InitialState? start = null, IStateSink? saveState = null, string? cacheSalt = null, ITokenConstraintFactory? constraint = null,
        CancellationToken wrapUp = default)
    {
        var run = new GenerationRun(context, ct) { _remaining = prompts.Count * n, _cachedByPrompt = new int[prompts.Count] };
        try
        {
            if ((start is not null || saveState is not null) && prompts.Count != 1)
            {
                throw new ArgumentException("A start state or a state sink goes with exactly one prompt.", nameof(prompts));
            }

            for (int p = 0; p < prompts.Count; p++)
            {
                var request = new GenerationRequest(
                    $"{context.RequestId}-{p}", prompts[p].Tokens, sampling, n, Start: start, SaveState: saveState, CacheSalt: cacheSalt,
                    Constraint: constraint, WrapUp: wrapUp);
                var stream = context.Model.Engine.GenerateAsync(request, run._cts.Token);
                run._pumps.Add(run.PumpAsync(stream, p, n));
                run.PromptTokens += prompts[p].Tokens.Count;
            }
        }
        catch (Exception ex)
        {
            // Admission refused: the engine never took the start state.
            start?.Release();
            run._errorType = ex.GetType().Name;
            await run.DisposeAsync();
            throw;
        }

        // Cancelled pumps must not look like a normal end: the reader would take a disconnect for a finished run.
        _ = Task.WhenAll(run._pumps).ContinueWith(
            t => run._updates.Writer.TryComplete(t.IsCanceled ? new OperationCanceledException("The request was cancelled.") : t.Exception?.InnerException),
            TaskScheduler.Default);
        if (context.LogPrompts)
        {
            run.LogPrompt(context.RequestId, string.Join(" | ", prompts.Select(p => p.Text ?? string.Join(',', p.Tokens))));
        }

        return run;
    }

    /// <summary>Every update of every choice, in engine order; throws what the engine threw.</summary>
    public async IAsyncEnumerable<ChoiceUpdate> ReadAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var item in _updates.Reader.ReadAllAsync(ct))
        {
            Observe(item.Update);
            if (item.Update.Usage is { } usage)
            {
                _cachedByPrompt[item.Prompt] = usage.CachedPromptTokens;
            }

            yield return item;
        }

        // Recorded before the caller writes the end of its response: a client that has the answer finds it counted.
        _finished = true;
        Record();
    }

    public async ValueTask DisposeAsync()
    {
        bool aborted = !_finished && _errorType is null;
        await _cts.CancelAsync();
        try
        {
            await Task.WhenAll(_pumps);
        }
        catch (Exception) when (_cts.IsCancellationRequested)
        {
            // The pumps end with the cancellation (or the error already reported to the reader).
        }

        if (aborted)
        {
            _errorType = "aborted";
            _context.Telemetry.RecordAborted(_context.Operation, _context.Model.Name);
        }

        Record();
        _cts.Dispose();
    }

    /// <summary>Marks the run as failed (the reader saw an engine error) so it is not counted as a client abort.</summary>
    public void MarkFailed(Exception ex) => _errorType = ex.GetType().Name;

    // The request's metrics, span and log line, once: when the reader saw the last update, or else at disposal.
    private void Record()
    {
        if (_recorded)
        {
            return;
        }

        _recorded = true;
        var duration = Stopwatch.GetElapsedTime(_started);
        var telemetry = _context.Telemetry;
        telemetry.RecordRequest(_context.Operation, _context.Model.Name, duration, _errorType);
        if (_firstToken is { } first && _completionTokens > 1)
        {
            telemetry.RecordPerOutputToken(_context.Operation, _context.Model.Name, (duration - first) / (_completionTokens - 1));
        }

        _phase?.Dispose();
        _activity?.SetTag("gen_ai.usage.input_tokens", PromptTokens);
        _activity?.SetTag("gen_ai.usage.output_tokens", _completionTokens);
        _activity?.SetStatus(_errorType is null ? ActivityStatusCode.Ok : ActivityStatusCode.Error, _errorType);
        _activity?.Dispose();
        LogCompleted(_context.RequestId, _context.Model.Name, _context.Operation, PromptTokens, _completionTokens,
            duration.TotalMilliseconds, _errorType ?? FinishReasons.ToWire(_lastFinish) ?? "none");
    }

    // Phases are children of the request span explicitly: they start on whatever async flow reads the updates.
    private Activity? StartPhase(string name) =>
        _context.Telemetry.Source.StartActivity(name, ActivityKind.Internal, _activity?.Context ?? default);

    private async Task PumpAsync(IAsyncEnumerable<GenerationUpdate> stream, int prompt, int n)
    {
        await Task.Yield();
        await foreach (var update in stream.WithCancellation(_cts.Token))
        {
            await _updates.Writer.WriteAsync(new ChoiceUpdate(prompt * n + update.SampleIndex, prompt, update), _cts.Token);
        }
    }

    private void Observe(GenerationUpdate update)
    {
        if (update.TokenIds.Count > 0 && _firstToken is null)
        {
            _firstToken = Stopwatch.GetElapsedTime(_started);
            _context.Telemetry.RecordFirstToken(_context.Operation, _context.Model.Name, _firstToken.Value);
            _phase?.Dispose();
            _phase = StartPhase("decode");
        }

        _completionTokens += update.TokenIds.Count;
        if (update.Finish is { } finish)
        {
            _lastFinish = finish;
            if (--_remaining == 0)
            {
                _phase?.Dispose();
                _phase = null;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Generation {RequestId} model {Model} {Operation}: {PromptTokens} prompt tokens, {CompletionTokens} completion tokens, {DurationMs:F1} ms, finish {FinishReason}")]
    private partial void LogCompleted(string requestId, string model, string operation, int promptTokens, int completionTokens, double durationMs, string finishReason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Generation {RequestId} prompt: {Prompt}")]
    private partial void LogPrompt(string requestId, string prompt);
}
