using System.Collections;
using System.Globalization;

namespace MambaServe.Engine.Loading.Hub;

/// <summary>
/// Where and how <see cref="HubModelResolver"/> reaches the Hugging Face hub and its cache. Built from the same
/// environment variables as huggingface_hub (<see cref="FromEnvironment"/>), but passed in, so tests and hosts never
/// need to mutate the process environment.
/// </summary>
/// <param name="Endpoint">Hub base address (<c>HF_ENDPOINT</c>, default https://huggingface.co).</param>
/// <param name="CacheDirectory">The hub cache root holding <c>models--ORG--NAME</c> folders.</param>
/// <param name="Token">Bearer token for private or gated repositories (<c>HF_TOKEN</c>), or null.</param>
/// <param name="Offline">No network at all (<c>HF_HUB_OFFLINE</c>): only the cache is used.</param>
/// <param name="Revision">Branch, tag or commit to resolve.</param>
public sealed record HubOptions(Uri Endpoint, string CacheDirectory, string? Token, bool Offline, string Revision = "main")
{
    public static readonly Uri DefaultEndpoint = new("https://huggingface.co");

    /// <summary>Retries of one request after a transient failure (network error, 408, 429, 5xx).</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>First retry delay; later ones back off exponentially with jitter.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Limit of one request for the repository's file list (<c>HF_HUB_ETAG_TIMEOUT</c>, 10 s as in huggingface_hub):
    /// with a cached copy, that one try is all an unreachable hub costs.
    /// </summary>
    public TimeSpan MetadataTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Reads <c>HF_ENDPOINT</c>, <c>HF_TOKEN</c> (else the token file <c>HF_TOKEN_PATH</c> or <c>$HF_HOME/token</c>),
    /// <c>HF_HUB_OFFLINE</c>, <c>HF_HUB_ETAG_TIMEOUT</c> (seconds), and the cache root <c>HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else
    /// <c>$XDG_CACHE_HOME/huggingface/hub</c>, else <c>~/.cache/huggingface/hub</c>.
    /// </summary>
    /// <param name="environment">The variables to read; null reads the process environment.</param>
    public static HubOptions FromEnvironment(IReadOnlyDictionary<string, string?>? environment = null)
    {
        var env = environment ?? ProcessEnvironment();
        string? Get(string name) => env.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

        var home = Get("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var hfHome = Get("HF_HOME") ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(home, ".cache"), "huggingface");
        var cache = Get("HF_HUB_CACHE") ?? Path.Combine(hfHome, "hub");
        var endpoint = Get("HF_ENDPOINT") is { } e ? new Uri(e.TrimEnd('/')) : DefaultEndpoint;
        var options = new HubOptions(endpoint, cache, Get("HF_TOKEN") ?? ReadTokenFile(Get("HF_TOKEN_PATH") ?? Path.Combine(hfHome, "token")),
            IsTrue(Get("HF_HUB_OFFLINE")));
        return double.TryParse(Get("HF_HUB_ETAG_TIMEOUT"), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? options with { MetadataTimeout = TimeSpan.FromSeconds(seconds) }
            : options;
    }

    private static bool IsTrue(string? value) =>
        value is not null && (value.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE");

    private static string? ReadTokenFile(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() is { Length: > 0 } token ? token : null : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static Dictionary<string, string?> ProcessEnvironment() =>
        Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => e.Value as string, StringComparer.Ordinal);
}
