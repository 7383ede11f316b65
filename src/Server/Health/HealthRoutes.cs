namespace MambaServe.Server.Health;

/// <summary>
/// The probe routes. Orchestrators are configured with these paths (deploy/: the images' HEALTHCHECK, the Kubernetes
/// probes), and the deployment tests read them from here.
/// </summary>
public static class HealthRoutes
{
    /// <summary>Readiness: 200 once the model is loaded and serving, 503 while it loads or after it failed.</summary>
    public const string Ready = "/health";

    /// <summary>
    /// vLLM's /ping (GET or POST), the route Amazon SageMaker probes: the readiness check under the name its hosting
    /// contract requires.
    /// </summary>
    public const string Ping = "/ping";

    /// <summary>vLLM's /version: the server's version (SemVer + the commit it was built from).</summary>
    public const string Version = "/version";

    /// <summary>Liveness: 200 while the process answers at all, also while the model loads.</summary>
    public const string Live = "/health/live";

    /// <summary>Prometheus text exposition of every metric the server records.</summary>
    public const string Metrics = "/metrics";
}
