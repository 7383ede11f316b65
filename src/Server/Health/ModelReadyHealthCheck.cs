using MambaServe.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MambaServe.Server.Health;

/// <summary>
/// Ready once the model is loaded and its engine runs, and while its device works; drives /health and grpc.health.v1.
/// </summary>
public sealed class ModelReadyHealthCheck(ModelHost models) : IHealthCheck
{
    public const string ReadyTag = "ready";

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
            : HealthCheckResult.Unhealthy("The model is loading."));
    }
}
