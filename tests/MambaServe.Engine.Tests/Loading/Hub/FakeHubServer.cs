using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MambaServe.Engine.Tests.Loading.Hub;

/// <summary>
/// A Kestrel server on 127.0.0.1 (random port) that answers like the Hugging Face hub for one repository:
/// <c>api/models/{id}/revision/{rev}</c> with the file list, and <c>{id}/resolve/{rev}/{file}</c> with Range support.
/// It records every request and can fail or cut short the next file responses to exercise retries and resume.
/// </summary>
internal sealed class FakeHubServer : IAsyncDisposable
{
    public const string RepoId = "test-org/tiny-mamba";

    private readonly WebApplication _app;
    private int _failNext;
    private int _truncateNext;

    private FakeHubServer(WebApplication app, IReadOnlyDictionary<string, byte[]> files, string sha)
    {
        _app = app;
        Files = files;
        Sha = sha;
    }

    public IReadOnlyDictionary<string, byte[]> Files { get; }

    public string Sha { get; }

    public Uri Endpoint { get; private set; } = null!;

    public ConcurrentQueue<(string Path, string? Range, string? Authorization)> Requests { get; } = new();

    /// <summary>When set, every request without <c>Authorization: Bearer {token}</c> gets HTTP 401, as a gated repo does.</summary>
    public string? RequiredToken { get; set; }

    public IEnumerable<string> FileRequests => Requests.Where(r => r.Path.Contains("/resolve/")).Select(r => r.Path);

    /// <summary>The next <paramref name="count"/> file requests get HTTP 503.</summary>
    public void FailNextFileRequests(int count) => _failNext = count;

    /// <summary>The next <paramref name="count"/> file responses (without Range) end after half the body.</summary>
    public void TruncateNextFileResponses(int count) => _truncateNext = count;

    public static string Sha256Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static async Task<FakeHubServer> StartAsync(IReadOnlyDictionary<string, byte[]> files)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeHubServer(app, files, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20)));
        app.Use(async (context, next) =>
        {
            server.Requests.Enqueue((context.Request.Path.Value ?? "", context.Request.Headers.Range.FirstOrDefault(),
                context.Request.Headers.Authorization.FirstOrDefault()));
            if (server.RequiredToken is { } token && context.Request.Headers.Authorization != $"Bearer {token}")
            {
                context.Response.StatusCode = 401;
                return;
            }

            await next(context);
        });
        app.MapGet("/api/models/{org}/{name}/revision/{revision}", (string org, string name, string revision) =>
            $"{org}/{name}" == RepoId && (revision == "main" || revision == server.Sha)
                ? Results.Json(server.RepoInfo())
                : Results.Json(new { error = "Repository not found" }, statusCode: 404));
        app.MapGet("/{org}/{name}/resolve/{revision}/{**file}", server.ServeFileAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Endpoint = new Uri(address);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private object RepoInfo() => new
    {
        id = RepoId,
        sha = Sha,
        siblings = Files.Select(f => f.Key switch
        {
            // Weights as LFS (blob named by sha256), config as a git blob, the rest with no blob id at all.
            _ when f.Key.EndsWith(".safetensors", StringComparison.Ordinal) =>
                (object)new { rfilename = f.Key, size = f.Value.Length, lfs = new { sha256 = Sha256Hex(f.Value), size = f.Value.Length } },
            "config.json" => new { rfilename = f.Key, size = f.Value.Length, blobId = GitBlobId(f.Value) },
            _ => new { rfilename = f.Key, size = f.Value.Length },
        }).ToArray(),
    };

    private async Task<IResult> ServeFileAsync(HttpContext context, string org, string name, string revision, string file)
    {
        if ($"{org}/{name}" != RepoId || revision != Sha || !Files.TryGetValue(file, out var bytes))
        {
            return Results.NotFound();
        }

        if (Interlocked.Decrement(ref _failNext) >= 0)
        {
            return Results.StatusCode(503);
        }

        if (Interlocked.Decrement(ref _truncateNext) >= 0 && context.Request.Headers.Range.Count == 0)
        {
            // A well-formed (chunked) response that is simply short: deterministic, unlike a reset connection,
            // whose RST can make the client drop bytes it already received.
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            return Results.Empty;
        }

        return Results.File(bytes, "application/octet-stream", enableRangeProcessing: true);
    }

    private static string GitBlobId(byte[] data) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {data.Length}\0"), .. data]));
}
