using System.Reflection;

namespace MambaServe.Server.Health;

/// <summary>GET /version (vLLM's shape): <c>{"version": "1.0.0+&lt;commit&gt;"}</c>, the informational version the build stamps.</summary>
public static class VersionEndpoint
{
    public static string Version { get; } =
        typeof(VersionEndpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static IResult Handle() => Results.Json(new { version = Version });
}
