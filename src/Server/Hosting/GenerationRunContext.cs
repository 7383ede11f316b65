using MambaServe.Server.Telemetry;

namespace MambaServe.Server.Hosting;

/// <summary>Who runs a <see cref="GenerationRun"/> and how it is observed.</summary>
public sealed record GenerationRunContext(
    IServedModel Model,
    string RequestId,
    string Operation,
    ServerTelemetry Telemetry,
    ILogger Logger,
    bool LogPrompts);
