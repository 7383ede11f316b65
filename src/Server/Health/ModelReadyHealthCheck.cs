using MambaServe.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MambaServe.Server.Health;

/// <summary>Ready once the model is loaded and its engine runs; drives /health and grpc.health.v1.</summary>
public sealed class ModelReadyHealthCheck(ModelHost models) : IHealthCheck
{
    public const string ReadyTag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (models.Model is { } model)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"Serving {model.Name}."));
        }

        return Task.FromResult(models.LoadFailure is { } failure
            ? HealthCheckResult.Unhealthy($"The model failed to load: {failure}")
            : HealthCheckResult.Unhealthy("The model is loading."));
    }
}
