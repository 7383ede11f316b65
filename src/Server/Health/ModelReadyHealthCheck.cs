using MambaServe.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serilog.Events;

namespace MambaServe.Server.Health;

/// <summary>
/// Ready once the model is loaded and its engine runs, and while its device works; drives /health and grpc.health.v1.
/// </summary>
public sealed class ModelReadyHealthCheck(ModelHost models) : IHealthCheck
{
    public const string ReadyTag = "ready";

    /// <summary>The result's description while the model loads.</summary>
    public const string Loading = "The model is loading.";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (models.Model is { } model)
        {
            return Task.FromResult(model.FaultReason is { } fault
                ? HealthCheckResult.Unhealthy($"The device of {model.Name} failed: {fault}")
                : HealthCheckResult.Healthy($"Serving {model.Name}."));
        }

        return Task.FromResult(models.LoadFailure is { } failure
            ? HealthCheckResult.Unhealthy($"The model failed to load: {failure}")
            : HealthCheckResult.Unhealthy(Loading));
    }

    /// <summary>
    /// True for the health service's log line of a probe that found the model loading (it logs every unhealthy
    /// result as an error). Load failures and device faults keep their lines.
    /// </summary>
    public static bool IsLoadingProbe(LogEvent e) =>
        e.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: string context }
        && context.StartsWith("Microsoft.Extensions.Diagnostics.HealthChecks", StringComparison.Ordinal)
        && e.Properties.Values.Any(v => v is ScalarValue { Value: string text } && text == Loading);
}
