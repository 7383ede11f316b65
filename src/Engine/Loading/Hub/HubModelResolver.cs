using System.Globalization;
using System.Text.RegularExpressions;

namespace MambaServe.Engine.Loading.Hub;

/// <summary>
/// Turns a model argument into a local folder: an existing directory as is, or a Hugging Face id (<c>org/name</c>)
/// found in, or downloaded into, the shared hub cache (same layout as huggingface_hub, so either tool reuses the
/// other's downloads). Only the files a Mamba checkpoint needs are fetched.
/// </summary>
public sealed partial class HubModelResolver
{
    // Shared by resolvers built without a client: one connection pool for the process, no per-call sockets.
    private static readonly Lazy<HttpClient> s_defaultClient = new(() => new HttpClient { Timeout = TimeSpan.FromMinutes(5) });

    private readonly HubOptions _options;
    private readonly HubHttp _http;
    private readonly Action<string>? _warning;

    /// <param name="warning">Told when the resolver falls back to the cache because the hub cannot be reached.</param>
    public HubModelResolver(HubOptions options, HttpClient? httpClient = null, Action<string>? warning = null)
    {
        _options = options;
        _http = new HubHttp(httpClient ?? s_defaultClient.Value, options);
        _warning = warning;
    }

    /// <summary>Resolves with <see cref="HubOptions.FromEnvironment"/>.</summary>
    public HubModelResolver()
        : this(HubOptions.FromEnvironment())
    {
    }

    /// <returns>The local folder holding config.json and the weights.</returns>
    /// <exception cref="HubException">Not a directory nor a valid id, unknown repository, access denied, network
    /// failure without a cached copy, or offline without a cached copy.</exception>
    public async Task<string> ResolveAsync(string modelIdOrPath, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        if (Directory.Exists(modelIdOrPath))
        {
            return modelIdOrPath;
        }

        if (!ModelIdPattern().IsMatch(modelIdOrPath))
        {
            throw new HubException(
                $"'{modelIdOrPath}' is neither an existing directory nor a Hugging Face model id of the form org/name.");
        }

        var cache = new HubCache(_options.CacheDirectory, modelIdOrPath);
        if (_options.Offline)
        {
            return cache.FindSnapshot(_options.Revision) ?? throw new HubException(
                $"Model '{modelIdOrPath}' (revision '{_options.Revision}') is not in the hub cache at " +
                $"'{cache.RepoFolder}' and HF_HUB_OFFLINE is set, so nothing can be downloaded.");
        }

        // As huggingface_hub does: with the hub unreachable, a cached snapshot is still a valid answer. With one in
        // the cache the file list gets one quick try and no retries; a host name that does not resolve is never retried.
        var cached = cache.FindSnapshot(_options.Revision);
        HubRepoInfo info;
        try
        {
            info = await GetRepoInfoAsync(modelIdOrPath, retry: cached is null, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (HubHttp.IsUnreachable(ex, ct))
        {
            return UseCacheOrThrow(modelIdOrPath, cache, cached, ex);
        }

        await DownloadSnapshotAsync(modelIdOrPath, cache, info, progress, ct).ConfigureAwait(false);
        cache.WriteRef(_options.Revision, info.Sha);
        return cache.SnapshotFolder(info.Sha);
    }

    private string UseCacheOrThrow(string modelId, HubCache cache, string? cached, Exception ex)
    {
        var reason = ex is OperationCanceledException
            ? string.Create(CultureInfo.InvariantCulture, $"no answer within {_options.MetadataTimeout.TotalSeconds:0.#} s")
            : ex.Message;
        if (cached is null)
        {
            throw new HubException(
                $"Cannot reach the hub at {_options.Endpoint} for '{modelId}' ({reason}) and it is not in the cache at '{cache.RepoFolder}'.", ex);
        }

        _warning?.Invoke($"Cannot reach the hub at {_options.Endpoint} ({reason}); using the cached snapshot of '{modelId}' at " +
            $"'{cached}', which may be out of date.");
        return cached;
    }

    private async Task<HubRepoInfo> GetRepoInfoAsync(string modelId, bool retry, CancellationToken ct)
    {
        var url = HubUrl($"api/models/{modelId}/revision/{Uri.EscapeDataString(_options.Revision)}?blobs=true");
        async ValueTask<HubRepoInfo> Once(CancellationToken token)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(_options.MetadataTimeout);
            using var response = await _http.SendAsync(url, null, $"Repository '{modelId}' (revision '{_options.Revision}')", timeout.Token)
                .ConfigureAwait(false);
            return HubRepoInfo.Parse(url.ToString(), await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false));
        }

        return retry ? await _http.Retry.ExecuteAsync(Once, ct).ConfigureAwait(false) : await Once(ct).ConfigureAwait(false);
    }

    private async Task DownloadSnapshotAsync(string modelId, HubCache cache, HubRepoInfo info,
        IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        var downloader = new HubFileDownloader(_http);
        foreach (var file in HubFileSelector.Select(modelId, info.Siblings))
        {
            var blob = cache.BlobPath(HubCache.BlobName(info.Sha, file));
            if (!File.Exists(blob))
            {
                var url = HubUrl($"{modelId}/resolve/{info.Sha}/{Uri.EscapeDataString(file.FileName)}");
                await downloader.DownloadAsync(url, blob, file.FileName, file.Size, progress, ct).ConfigureAwait(false);
            }
            else
            {
                var length = new FileInfo(blob).Length;
                progress?.Report(new DownloadProgress(file.FileName, length, length));
            }

            cache.Link(info.Sha, file.FileName, blob);
        }
    }

    // Concatenated rather than new Uri(base, relative), which would drop a mirror endpoint's own path.
    private Uri HubUrl(string relative) => new($"{_options.Endpoint.AbsoluteUri.TrimEnd('/')}/{relative}");

    [GeneratedRegex(@"^[A-Za-z0-9][\w.\-]*/[A-Za-z0-9][\w.\-]*$")]
    private static partial Regex ModelIdPattern();
}
