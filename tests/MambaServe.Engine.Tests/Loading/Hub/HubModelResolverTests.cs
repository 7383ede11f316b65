using System.Collections.Concurrent;
using MambaServe.Engine.Loading;
using MambaServe.Engine.Loading.Hub;
using MambaServe.Engine.Tests.Infrastructure;

namespace MambaServe.Engine.Tests.Loading.Hub;

public sealed class HubModelResolverTests : IAsyncLifetime
{
    private readonly TempDirectory _cache = new();
    private FakeHubServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private byte[] Weights => _server.Files["model.safetensors"];

    private string RepoFolder => Path.Combine(_cache.Path, "models--test-org--tiny-mamba");

    public async ValueTask InitializeAsync()
    {
        var fixture = TestPaths.Fixture("tiny-a");
        var files = new[] { "config.json", "model.safetensors", "generation_config.json", "reference.json", "reference.safetensors" }
            .ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(fixture, f)));
        files["onnx/model.safetensors"] = files["model.safetensors"];
        _server = await FakeHubServer.StartAsync(files);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _cache.Dispose();
    }

    [Fact]
    public async Task ResolveAsync_RepoId_DownloadsNeededFilesIntoHfCacheLayoutAndLoads()
    {
        var progress = new RecordingProgress();

        var folder = await Resolver().ResolveAsync(FakeHubServer.RepoId, progress, Ct);

        Assert.Equal(Path.Combine(RepoFolder, "snapshots", _server.Sha), folder);
        Assert.Equal(_server.Sha, File.ReadAllText(Path.Combine(RepoFolder, "refs", "main")));
        var weightsLink = new FileInfo(Path.Combine(folder, "model.safetensors"));
        Assert.Equal($"../../blobs/{FakeHubServer.Sha256Hex(Weights)}", weightsLink.LinkTarget);
        Assert.Equal(["config.json", "generation_config.json", "model.safetensors"],
            Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        Assert.DoesNotContain(_server.FileRequests, p => p.Contains("reference") || p.Contains("onnx"));
        WeightAssert.Equal(CheckpointLoader.Load(TestPaths.Fixture("tiny-a")).Weights, CheckpointLoader.Load(folder).Weights);
        Assert.Contains(progress.Reports, r => r == new DownloadProgress("model.safetensors", Weights.Length, Weights.Length));
    }

    [Fact]
    public async Task ResolveAsync_PartialIncompleteBlob_ResumesWithRangeRequest()
    {
        var blob = Path.Combine(RepoFolder, "blobs", FakeHubServer.Sha256Hex(Weights));
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        var have = Random.Shared.Next(1000, Weights.Length - 1000);
        File.WriteAllBytes(blob + ".incomplete", Weights[..have]);

        var folder = await Resolver().ResolveAsync(FakeHubServer.RepoId, null, Ct);

        Assert.Contains(_server.Requests, r => r.Path.EndsWith("/model.safetensors") && r.Range == $"bytes={have}-");
        Assert.Equal(Weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        Assert.False(File.Exists(blob + ".incomplete"));
    }

    [Fact]
    public async Task ResolveAsync_ResponseEndsEarly_RetriesAndResumes()
    {
        _server.TruncateNextFileResponses(1);

        var folder = await Resolver().ResolveAsync(FakeHubServer.RepoId, null, Ct);

        var half = _server.Files["config.json"].Length / 2;
        Assert.Contains(_server.Requests, r => r.Path.EndsWith("/config.json") && r.Range == $"bytes={half}-");
        Assert.Equal(_server.Files["config.json"], File.ReadAllBytes(Path.Combine(folder, "config.json")));
        Assert.Equal(Weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
    }

    [Fact]
    public async Task ResolveAsync_TransientServerErrors_AreRetried()
    {
        _server.FailNextFileRequests(2);

        var folder = await Resolver().ResolveAsync(FakeHubServer.RepoId, null, Ct);

        Assert.Equal(Weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
    }

    [Fact]
    public async Task ResolveAsync_PersistentServerErrors_FailNamingFileAfterRetries()
    {
        _server.FailNextFileRequests(1000);
        var options = new HubOptions(_server.Endpoint, _cache.Path, null, false) { MaxRetries = 2, RetryDelay = TimeSpan.FromMilliseconds(1) };

        var ex = await Assert.ThrowsAsync<HubException>(() => new HubModelResolver(options).ResolveAsync(FakeHubServer.RepoId, null, Ct));

        Assert.Contains("'config.json'", ex.Message);
        Assert.Contains("503", ex.Message);
        Assert.Equal(3, _server.FileRequests.Count());
    }

    [Fact]
    public async Task ResolveAsync_WithToken_SendsBearerOnEveryRequest()
    {
        var token = $"hf_{Guid.NewGuid():N}";

        await Resolver(token: token).ResolveAsync(FakeHubServer.RepoId, null, Ct);

        Assert.NotEmpty(_server.Requests);
        Assert.All(_server.Requests, r => Assert.Equal($"Bearer {token}", r.Authorization));
    }

    [Fact]
    public async Task ResolveAsync_GatedRepoWithoutToken_FailsNamingHfToken()
    {
        _server.RequiredToken = $"hf_{Guid.NewGuid():N}";

        var ex = await Assert.ThrowsAsync<HubException>(() => Resolver().ResolveAsync(FakeHubServer.RepoId, null, Ct));

        Assert.Contains("401", ex.Message);
        Assert.Contains("HF_TOKEN", ex.Message);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task ResolveAsync_HubUnresolvableWithCachedSnapshot_OneTryThenCacheWithWarning()
    {
        var online = await Resolver().ResolveAsync(FakeHubServer.RepoId, null, Ct);
        var warnings = new ConcurrentQueue<string>();
        using var handler = new CountingHandler();
        var unresolvable = new HubOptions(new Uri("http://nonexistent.invalid"), _cache.Path, null, false) { RetryDelay = TimeSpan.FromMilliseconds(1) };

        var folder = await new HubModelResolver(unresolvable, new HttpClient(handler), warnings.Enqueue).ResolveAsync(FakeHubServer.RepoId, null, Ct);

        Assert.Equal(online, folder);
        Assert.Equal(1, handler.Requests);
        var warning = Assert.Single(warnings);
        Assert.Contains("nonexistent.invalid", warning);
        Assert.Contains(FakeHubServer.RepoId, warning);
    }

    [Fact]
    public async Task ResolveAsync_HubUnresolvableNothingCached_FailsAfterOneTry()
    {
        using var handler = new CountingHandler();
        var unresolvable = new HubOptions(new Uri("http://nonexistent.invalid"), _cache.Path, null, false) { RetryDelay = TimeSpan.FromMilliseconds(1) };

        var ex = await Assert.ThrowsAsync<HubException>(() => new HubModelResolver(unresolvable, new HttpClient(handler)).ResolveAsync(FakeHubServer.RepoId, null, Ct));

        Assert.Equal(1, handler.Requests);
        Assert.Contains("nonexistent.invalid", ex.Message);
        Assert.Contains("not in the cache", ex.Message);
    }

    [Fact]
    public async Task ResolveAsync_HubRefusingWithCachedSnapshot_NoRetriesBeforeUsingCache()
    {
        var online = await Resolver().ResolveAsync(FakeHubServer.RepoId, null, Ct);
        using var handler = new CountingHandler();
        var refused = new HubOptions(new Uri("http://127.0.0.1:1"), _cache.Path, null, false) { RetryDelay = TimeSpan.FromMilliseconds(1) };

        var folder = await new HubModelResolver(refused, new HttpClient(handler)).ResolveAsync(FakeHubServer.RepoId, null, Ct);

        Assert.Equal(online, folder);
        Assert.Equal(1, handler.Requests);
    }

    [Fact]
    public async Task ResolveAsync_WithoutToken_SendsNoAuthorization()
    {
        await Resolver().ResolveAsync(FakeHubServer.RepoId, null, Ct);

        Assert.All(_server.Requests, r => Assert.Null(r.Authorization));
    }

    [Fact]
    public async Task ResolveAsync_AlreadyCached_DownloadsNoFileAgain()
    {
        var first = await Resolver().ResolveAsync(FakeHubServer.RepoId, null, Ct);
        var fileRequests = _server.FileRequests.Count();

        var second = await Resolver().ResolveAsync(FakeHubServer.RepoId, null, Ct);

        Assert.Equal(first, second);
        Assert.Equal(fileRequests, _server.FileRequests.Count());
    }

    [Fact]
    public async Task ResolveAsync_OfflineWithCachedSnapshot_UsesCacheWithoutNetwork()
    {
        var online = await Resolver().ResolveAsync(FakeHubServer.RepoId, null, Ct);
        var requests = _server.Requests.Count;

        var offline = await Resolver(offline: true).ResolveAsync(FakeHubServer.RepoId, null, Ct);

        Assert.Equal(online, offline);
        Assert.Equal(requests, _server.Requests.Count);
        Assert.Equal(512, CheckpointLoader.Load(offline).Config.VocabSize);
    }

    [Fact]
    public async Task ResolveAsync_OfflineWithoutCache_FailsClearlyWithoutNetwork()
    {
        var ex = await Assert.ThrowsAsync<HubException>(() => Resolver(offline: true).ResolveAsync(FakeHubServer.RepoId, null, Ct));

        Assert.Contains(FakeHubServer.RepoId, ex.Message);
        Assert.Contains("HF_HUB_OFFLINE", ex.Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task ResolveAsync_UnknownRepo_FailsWith404Message()
    {
        var ex = await Assert.ThrowsAsync<HubException>(() => Resolver().ResolveAsync("test-org/no-such-model", null, Ct));

        Assert.Contains("test-org/no-such-model", ex.Message);
        Assert.Contains("404", ex.Message);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task ResolveAsync_ExistingDirectory_ReturnedAsIsWithoutNetwork()
    {
        var fixture = TestPaths.Fixture("tiny-b");

        var folder = await Resolver().ResolveAsync(fixture, null, Ct);

        Assert.Equal(fixture, folder);
        Assert.Empty(_server.Requests);
    }

    [Theory]
    [InlineData("no-slash-and-no-dir")]
    [InlineData("a/b/c")]
    [InlineData("./missing/dir")]
    public async Task ResolveAsync_NeitherDirectoryNorId_Fails(string argument)
    {
        var ex = await Assert.ThrowsAsync<HubException>(() => Resolver().ResolveAsync(argument, null, Ct));

        Assert.Contains(argument, ex.Message);
        Assert.Empty(_server.Requests);
    }

    private HubModelResolver Resolver(string? token = null, bool offline = false) =>
        new(new HubOptions(_server.Endpoint, _cache.Path, token, offline) { RetryDelay = TimeSpan.FromMilliseconds(5) });

    /// <summary>Real sockets, counting every request the resolver sends (each retry is one).</summary>
    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _requests;

        public int Requests => _requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class RecordingProgress : IProgress<DownloadProgress>
    {
        public ConcurrentBag<DownloadProgress> Reports { get; } = [];

        public void Report(DownloadProgress value) => Reports.Add(value);
    }
}
