using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.Telemetry;
using MambaServe.Engine.Tests.Infrastructure;
using static MambaServe.Engine.Tests.Scheduling.EngineCoreHarness;

namespace MambaServe.Engine.Tests.Telemetry;

public sealed class EngineMetricsTests
{
    [Fact]
    public async Task Instruments_AfterRequests_ReportStepsTokensAndPoolGauges()
    {
        var ct = TestContext.Current.CancellationToken;
        using var metrics = new EngineMetrics();
        var measured = new ConcurrentDictionary<string, double>();
        using var listener = Listen(metrics, measured);

        int slots = Random.Shared.Next(2, 9);
        var options = new SchedulerOptions { MaxRunningSequences = slots, MaxBatchTokensPerStep = 64, PrefillChunkSize = 16, PrefixCacheInterval = 4 };
        var choosers = new FakeTokenChooserFactory();
        var loop = new EngineLoop(new FakeModelRunner(slots, choosers: choosers), options, choosers, new FakeTextStreamFactory(), metrics: metrics);
        loop.Start();
        int promptLength = Random.Shared.Next(8, 30);
        int[] prompt = RandomPrompt(promptLength);
        for (int i = 0; i < 2; i++)
        {
            await foreach (var update in loop.GenerateAsync(Request(prompt, maxTokens: 5), ct))
            {
            }
        }

        await loop.StopAsync(ct);
        listener.RecordObservableInstruments();

        Assert.Equal(2 * promptLength, measured[TelemetryNames.Tokens + "/" + TelemetryNames.TokenTypeInput]);
        Assert.Equal(10, measured[TelemetryNames.Tokens + "/" + TelemetryNames.TokenTypeOutput]);
        Assert.True(measured[TelemetryNames.EngineStepDuration] >= 5);
        Assert.Equal(slots, measured[TelemetryNames.StatePoolSlotsTotal]);
        Assert.Equal(0, measured[TelemetryNames.StatePoolSlotsInUse]);
        Assert.Equal(0, measured[TelemetryNames.SchedulerRunning]);
        Assert.Equal(0, measured[TelemetryNames.SchedulerWaiting]);
        Assert.Equal(2, measured[TelemetryNames.PrefixCacheLookups]);
        Assert.Equal(1, measured[TelemetryNames.PrefixCacheHits]);
        // The second request restored the deepest entry (every 4 tokens) short of its last token.
        Assert.Equal(2 * promptLength, measured[TelemetryNames.PrefixCacheQueriedTokens]);
        Assert.Equal((promptLength - 1) / 4 * 4, measured[TelemetryNames.PrefixCacheHitTokens]);
        Assert.Equal(0, measured[TelemetryNames.EngineStepsBegunAhead]);
    }

    [Fact]
    public async Task StepsBegunAhead_OnARunnerThatRunsAhead_CountsEachBatchBegunBehindAnother()
    {
        var ct = TestContext.Current.CancellationToken;
        using var metrics = new EngineMetrics();
        var measured = new ConcurrentDictionary<string, double>();
        using var listener = Listen(metrics, measured);
        var options = new SchedulerOptions { MaxRunningSequences = 4, MaxBatchTokensPerStep = 64, PrefillChunkSize = 16, PrefixCacheMaxBytes = 0 };
        var choosers = new FakeTokenChooserFactory();
        var runner = new FakeModelRunner(4, choosers: choosers) { RunsAhead = true };
        var loop = new EngineLoop(runner, options, choosers, new FakeTextStreamFactory(), metrics: metrics);
        loop.Start();
        await foreach (var update in loop.GenerateAsync(Request(RandomPrompt(9), maxTokens: 20), ct))
        {
        }

        await loop.StopAsync(ct);
        listener.RecordObservableInstruments();

        Assert.True(runner.BegunAhead > 10, $"{runner.BegunAhead} batches ran ahead");
        Assert.Equal(runner.BegunAhead, measured[TelemetryNames.EngineStepsBegunAhead]);
        Assert.Equal(runner.BegunAhead, loop.Stats.StepsBegunAhead);
    }

    [Fact]
    public void PrefixCacheGauges_ReadTheStatesAndBytesTheEnginePublished()
    {
        using var metrics = new EngineMetrics();
        var measured = new ConcurrentDictionary<string, double>();
        using var listener = Listen(metrics, measured);
        int entries = Random.Shared.Next(1, 500);
        long bytes = entries * (long)Random.Shared.Next(1, 1 << 25);
        metrics.Attach(() => new EngineStats(0, 0, 0, 4, 0, 0, 0, 0, PrefixCacheEntries: entries, PrefixCacheBytes: bytes));

        listener.RecordObservableInstruments();

        Assert.Equal(entries, measured[TelemetryNames.PrefixCacheEntries]);
        Assert.Equal(bytes, measured[TelemetryNames.PrefixCacheBytes]);
    }

    /// <summary>
    /// Collects the engine meter's measurements: a counter's sum, a gauge's last value, a histogram's count, by name
    /// (and "/tag" for tagged ones).
    /// </summary>
    private static MeterListener Listen(EngineMetrics metrics, ConcurrentDictionary<string, double> measured)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name + (tags.Length > 0 ? "/" + tags[0].Value : string.Empty);
            measured.AddOrUpdate(key, value, (_, old) => instrument is Counter<long> ? old + value : value);
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => measured.AddOrUpdate(instrument.Name, 1, (_, old) => old + 1));
        listener.Start();
        return listener;
    }
}
