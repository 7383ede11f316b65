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

    public HubModelResolver(HubOptions options, HttpClient? httpClient = null)
    {
        _options = options;
        _http = new HubHttp(httpClient ?? s_defaultClient.Value, options);
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

        HubRepoInfo info;
        try
        {
            info = await GetRepoInfoAsync(modelIdOrPath, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (HubHttp.IsTransient(ex, ct))
        {
            // As huggingface_hub does: with the hub unreachable, a cached snapshot is still a valid answer.
            return cache.FindSnapshot(_options.Revision) ?? throw new HubException(
                $"Cannot reach the hub at {_options.Endpoint} for '{modelIdOrPath}' and it is not cached: {ex.Message}", ex);
        }

        await DownloadSnapshotAsync(modelIdOrPath, cache, info, progress, ct).ConfigureAwait(false);
        cache.WriteRef(_options.Revision, info.Sha);
        return cache.SnapshotFolder(info.Sha);
    }

    private async Task<HubRepoInfo> GetRepoInfoAsync(string modelId, CancellationToken ct)
    {
        var url = HubUrl($"api/models/{modelId}/revision/{Uri.EscapeDataString(_options.Revision)}?blobs=true");
        return await _http.Retry.ExecuteAsync(async token =>
        {
            using var response = await _http.SendAsync(url, null, $"Repository '{modelId}' (revision '{_options.Revision}')", token)
                .ConfigureAwait(false);
            return HubRepoInfo.Parse(url.ToString(), await response.Content.ReadAsStringAsync(token).ConfigureAwait(false));
        }, ct).ConfigureAwait(false);
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
