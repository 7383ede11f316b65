using System.Net;
using MambaServe.Engine.Loading.Hub;
using MambaServe.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>
/// A model loaded by hub id is served under that id (as vLLM and the Hugging Face tools do), or under
/// --served-model-name; with the hub unresolvable and the model cached, the cache is used and a warning logged.
/// </summary>
public sealed class HubModelNameTests : IDisposable
{
    private const string HubId = "test-org/tiny-a";

    private readonly string _cache = Directory.CreateTempSubdirectory("mambaserve-hub-").FullName;

    public HubModelNameTests()
    {
        // The hub cache layout huggingface_hub writes: refs/main names the commit, snapshots/{commit} holds the files.
        var sha = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + "01234567";
        var repo = Path.Combine(_cache, "models--test-org--tiny-a");
        var snapshot = Directory.CreateDirectory(Path.Combine(repo, "snapshots", sha)).FullName;
        foreach (var file in new[] { "config.json", "model.safetensors" })
        {
            File.Copy(Path.Combine(TestPaths.Fixture("tiny-a"), file), Path.Combine(snapshot, file));
        }

        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), sha);
    }

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    [Fact]
    public async Task Load_HubIdCachedAndHubUnresolvable_ServedUnderHubIdWithWarning()
    {
        var sink = new CollectingSink();
        await using var factory = Factory(sink, new() { ["MambaServe:Model:Path"] = HubId });
        var http = await factory.CreateReadyClientAsync();

        var models = await Json.ReadAsync(await http.GetAsync("/v1/models"));
        using var completion = await Json.PostAsync(http, "/v1/completions", new { model = HubId, prompt = new[] { 5, 6, 7 }, max_tokens = 2 });

        Assert.Equal(HubId, (string?)models["data"]![0]!["id"]);
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
        Assert.Contains(sink.Events, e => e.Level == LogEventLevel.Warning && e.RenderMessage().Contains("nonexistent.invalid", StringComparison.Ordinal)
                                          && e.RenderMessage().Contains("cached", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Load_ServedModelName_WinsOverHubId()
    {
        await using var factory = Factory(new CollectingSink(), new() { ["MambaServe:Model:Path"] = HubId, ["MambaServe:Model:Name"] = "my-model" });
        var http = await factory.CreateReadyClientAsync();

        var models = await Json.ReadAsync(await http.GetAsync("/v1/models"));
        using var byHubId = await Json.PostAsync(http, "/v1/completions", new { model = HubId, prompt = new[] { 5, 6, 7 }, max_tokens = 2 });

        Assert.Equal("my-model", (string?)models["data"]![0]!["id"]);
        Assert.Equal(HttpStatusCode.NotFound, byHubId.StatusCode);
    }

    private ServerFactory Factory(CollectingSink sink, Dictionary<string, string?> settings)
    {
        settings["MambaServe:Model:Threads"] = "1";
        settings["MambaServe:Scheduler:MaxRunningSequences"] = "2";
        var hub = new HubOptions(new Uri("http://nonexistent.invalid"), _cache, null, Offline: false);
        return new ServerFactory(null, settings)
        {
            TestServices = s =>
            {
                s.AddSingleton(hub);
                s.AddSingleton<ILogEventSink>(sink);
            },
        };
    }
}
