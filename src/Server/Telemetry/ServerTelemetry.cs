using System.Diagnostics;
using System.Diagnostics.Metrics;
using MambaServe.Engine.Telemetry;
using MambaServe.Server.OpenAi;

namespace MambaServe.Server.Telemetry;

/// <summary>
/// The server's request-level instruments (GenAI semantic conventions, names in <see cref="TelemetryNames"/>) and its
/// trace source. Singleton; instruments are thread-safe.
/// </summary>
public sealed class ServerTelemetry
{
    public const string MeterName = "MambaServe.Server";
    public const string ActivitySourceName = "MambaServe.Server";

    /// <summary>Requests whose client went away (or that were cancelled) before they finished.</summary>
    public const string RequestsAborted = TelemetryNames.RequestsAborted;

    // Bucket bounds from the GenAI semantic conventions' advice (seconds).
    private static readonly double[] s_latencyBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly double[] s_tokenBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];

    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<double> _timePerOutputToken;
    private readonly Histogram<double> _requestDuration;
    private readonly Counter<long> _aborted;
    private readonly Counter<long> _rejected;
    private readonly UpDownCounter<long> _sockets;
    private readonly Counter<long> _steers;

    public ServerTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _timeToFirstToken = meter.CreateHistogram(TelemetryNames.TimeToFirstToken, "s", "Time to generate the first token.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_latencyBuckets });
        _timePerOutputToken = meter.CreateHistogram(TelemetryNames.TimePerOutputToken, "s", "Time per output token after the first.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_tokenBuckets });
        _requestDuration = meter.CreateHistogram(TelemetryNames.RequestDuration, "s", "Generative AI server request duration.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_latencyBuckets });
        _aborted = meter.CreateCounter<long>(RequestsAborted, "{request}", "Requests aborted by a client disconnect or cancellation.");
        _rejected = meter.CreateCounter<long>(TelemetryNames.RequestsRejected, "{request}", "Requests answered with an error, by status and reason.");
        _sockets = meter.CreateUpDownCounter<long>(TelemetryNames.ResponsesSockets, "{socket}", "Responses WebSockets open now.");
        _steers = meter.CreateCounter<long>(TelemetryNames.ResponsesSteers, "{steer}", "Steering submissions on Responses WebSockets, by outcome.");
    }

    public ActivitySource Source { get; } = new(ActivitySourceName);

    public void RecordFirstToken(string operation, string model, TimeSpan elapsed) =>
        _timeToFirstToken.Record(elapsed.TotalSeconds, Tags(operation, model, null));

    public void RecordPerOutputToken(string operation, string model, TimeSpan perToken) =>
        _timePerOutputToken.Record(perToken.TotalSeconds, Tags(operation, model, null));

    public void RecordRequest(string operation, string model, TimeSpan duration, string? errorType) =>
        _requestDuration.Record(duration.TotalSeconds, Tags(operation, model, errorType));

    public void RecordAborted(string operation, string model) => _aborted.Add(1, Tags(operation, model, null));

    /// <summary>Counts a request answered with <paramref name="error"/> (REST or gRPC).</summary>
    public void RecordRejected(ApiException error) => _rejected.Add(
        1,
        new KeyValuePair<string, object?>(TelemetryNames.StatusCodeAttribute, error.Status),
        new KeyValuePair<string, object?>(TelemetryNames.RejectReasonAttribute, error.Reason));

    /// <summary>A Responses WebSocket opened (+1) or closed (-1).</summary>
    public void RecordSocket(int change) => _sockets.Add(change);

    /// <summary>What became of <paramref name="count"/> steering submissions; <paramref name="code"/> is a failure's.</summary>
    public void RecordSteers(string outcome, int count = 1, string? code = null)
    {
        if (count == 0)
        {
            return;
        }

        var tags = new TagList { { TelemetryNames.SteerOutcomeAttribute, outcome } };
        if (code is not null)
        {
            tags.Add(TelemetryNames.RejectReasonAttribute, code);
        }

        _steers.Add(count, tags);
    }

    private static TagList Tags(string operation, string model, string? errorType)
    {
        var tags = new TagList
        {
            { TelemetryNames.OperationNameAttribute, operation },
            { TelemetryNames.ProviderNameAttribute, TelemetryNames.ProviderName },
            { TelemetryNames.RequestModelAttribute, model },
        };
        if (errorType is not null)
        {
            tags.Add(TelemetryNames.ErrorTypeAttribute, errorType);
        }

        return tags;
    }
}
