namespace MambaServe.Engine.Telemetry;

/// <summary>
/// Every metric and attribute name MambaServe exports, in one place: the OpenTelemetry GenAI semantic conventions are
/// still "Development" status and may be renamed, and the server and the engine must agree.
/// </summary>
public static class TelemetryNames
{
    /// <summary>Meter of the engine's instruments (<see cref="EngineMetrics"/>).</summary>
    public const string EngineMeter = "MambaServe.Engine";

    // GenAI semantic conventions (recorded by the server, which sees requests end to end).
    public const string TimeToFirstToken = "gen_ai.server.time_to_first_token";
    public const string TimePerOutputToken = "gen_ai.server.time_per_output_token";
    public const string RequestDuration = "gen_ai.server.request.duration";
    public const string OperationNameAttribute = "gen_ai.operation.name";
    public const string OperationTextCompletion = "text_completion";
    public const string OperationChat = "chat";
    public const string ProviderNameAttribute = "gen_ai.provider.name";
    public const string ProviderName = "mambaserve";
    public const string RequestModelAttribute = "gen_ai.request.model";
    public const string ErrorTypeAttribute = "error.type";
    public const string TokenTypeAttribute = "gen_ai.token.type";
    public const string TokenTypeInput = "input";
    public const string TokenTypeOutput = "output";

    // Project metrics (recorded by the engine).
    public const string SchedulerRunning = "mambaserve.scheduler.running";
    public const string SchedulerWaiting = "mambaserve.scheduler.waiting";
    public const string StatePoolSlotsInUse = "mambaserve.state_pool.slots_in_use";
    public const string StatePoolSlotsTotal = "mambaserve.state_pool.slots_total";
    public const string PrefixCacheHits = "mambaserve.prefix_cache.hits";
    public const string PrefixCacheLookups = "mambaserve.prefix_cache.lookups";
    public const string PrefixCacheQueriedTokens = "mambaserve.prefix_cache.queried_tokens";
    public const string PrefixCacheHitTokens = "mambaserve.prefix_cache.hit_tokens";
    public const string PrefixCacheEntries = "mambaserve.prefix_cache.entries";
    public const string PrefixCacheBytes = "mambaserve.prefix_cache.bytes";
    public const string EngineStepDuration = "mambaserve.engine.step.duration";
    public const string EngineStepsBegunAhead = "mambaserve.engine.steps_begun_ahead";
    public const string Tokens = "mambaserve.tokens";

    // Server-side project metrics.
    public const string RequestsAborted = "mambaserve.requests.aborted";

    /// <summary>Requests answered with an error before or instead of generating, tagged by status and reason.</summary>
    public const string RequestsRejected = "mambaserve.requests.rejected";

    /// <summary>Responses WebSockets open now (OpenAI's WebSocket mode).</summary>
    public const string ResponsesSockets = "mambaserve.responses.sockets";

    /// <summary>
    /// Steering submissions on Responses WebSockets, by what became of them (<see cref="SteerOutcomeAttribute"/>); a
    /// failed one also carries its code (<see cref="RejectReasonAttribute"/>).
    /// </summary>
    public const string ResponsesSteers = "mambaserve.responses.steers";

    /// <summary>accepted, committed (its successor started), pending (waiting for tool outputs) or failed.</summary>
    public const string SteerOutcomeAttribute = "mambaserve.steer.outcome";

    /// <summary>The HTTP status of a rejection (for gRPC, the HTTP status of the same failure over REST).</summary>
    public const string StatusCodeAttribute = "http.response.status_code";

    /// <summary>Why a request was rejected: the error's code (unknown_parameter, invalid_api_key, …) or else its type.</summary>
    public const string RejectReasonAttribute = "mambaserve.reject.reason";
}
