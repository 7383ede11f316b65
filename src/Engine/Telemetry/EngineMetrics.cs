using System.Diagnostics.Metrics;
using MambaServe.Engine.Scheduling;

namespace MambaServe.Engine.Telemetry;

/// <summary>
/// The engine's System.Diagnostics.Metrics instruments (names in <see cref="TelemetryNames"/>). Gauges and the prefix
/// cache counters are observable: they read the <see cref="EngineStats"/> the engine loop publishes after each step,
/// so collection never touches loop-owned state. Pass an <see cref="IMeterFactory"/> from DI in the server; without
/// one the meter is created directly (tests, bench).
/// </summary>
public sealed class EngineMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly Histogram<double> _stepDuration;
    private readonly Counter<long> _tokens;
    private Func<EngineStats>? _stats;

    public EngineMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(TelemetryNames.EngineMeter) ?? new Meter(TelemetryNames.EngineMeter);
        _stepDuration = _meter.CreateHistogram<double>(TelemetryNames.EngineStepDuration, "s", "Wall time of one engine step.");
        _tokens = _meter.CreateCounter<long>(TelemetryNames.Tokens, "{token}", "Tokens processed, by gen_ai.token.type.");
        _meter.CreateObservableGauge(TelemetryNames.SchedulerRunning, () => Read(s => s.RunningSequences), "{sequence}", "Sequences holding a state slot.");
        _meter.CreateObservableGauge(TelemetryNames.SchedulerWaiting, () => Read(s => s.WaitingRequests), "{request}", "Requests waiting for slots.");
        _meter.CreateObservableGauge(TelemetryNames.StatePoolSlotsInUse, () => Read(s => s.SlotsInUse), "{slot}", "State slots leased.");
        _meter.CreateObservableGauge(TelemetryNames.StatePoolSlotsTotal, () => Read(s => s.SlotsTotal), "{slot}", "State slots in the pool.");
        _meter.CreateObservableCounter(TelemetryNames.PrefixCacheHits, () => Read(s => s.PrefixCacheHits), "{lookup}", "Prefix-state cache lookups that hit.");
        _meter.CreateObservableCounter(TelemetryNames.PrefixCacheLookups, () => Read(s => s.PrefixCacheLookups), "{lookup}", "Prefix-state cache lookups.");
        // In tokens as well, as vLLM counts its prefix cache: hit_tokens / queried_tokens is the share of prompt tokens not prefilled.
        _meter.CreateObservableCounter(
            TelemetryNames.PrefixCacheQueriedTokens, () => Read(s => s.PrefixCacheQueriedTokens), "{token}", "Prompt tokens looked up in the prefix-state cache.");
        _meter.CreateObservableCounter(
            TelemetryNames.PrefixCacheHitTokens, () => Read(s => s.PrefixCacheHitTokens), "{token}", "Prompt tokens restored from the prefix-state cache.");
        // How full the cache is, to size Scheduler:PrefixCacheMaxBytes (it keeps the state every answer ends with).
        _meter.CreateObservableGauge(TelemetryNames.PrefixCacheEntries, () => Read(s => s.PrefixCacheEntries), "{state}", "States held by the prefix-state cache.");
        _meter.CreateObservableGauge(TelemetryNames.PrefixCacheBytes, () => Read(s => s.PrefixCacheBytes), "By", "Bytes of the states held by the prefix-state cache.");
        _meter.CreateObservableCounter(
            TelemetryNames.EngineStepsBegunAhead,
            () => Read(s => s.StepsBegunAhead),
            "{step}",
            "Engine steps begun while the step before them still ran on the device (running ahead).");
    }

    public Meter Meter => _meter;

    /// <summary>Where the observable instruments read from; the engine loop attaches itself when built.</summary>
    public void Attach(Func<EngineStats> stats) => _stats = stats;

    public void RecordStep(TimeSpan duration) => _stepDuration.Record(duration.TotalSeconds);

    public void AddTokens(int input, int output)
    {
        if (input > 0)
        {
            _tokens.Add(input, new KeyValuePair<string, object?>(TelemetryNames.TokenTypeAttribute, TelemetryNames.TokenTypeInput));
        }

        if (output > 0)
        {
            _tokens.Add(output, new KeyValuePair<string, object?>(TelemetryNames.TokenTypeAttribute, TelemetryNames.TokenTypeOutput));
        }
    }

    public void Dispose() => _meter.Dispose();

    private long Read(Func<EngineStats, long> pick) => _stats is { } stats ? pick(stats()) : 0;
}
