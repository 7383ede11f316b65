using System.Net;
using Grpc.Core;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Hosting;
using MambaServe.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace MambaServe.Server.Tests.OpenAi;

/// <summary>
/// vLLM's cache_salt: it reaches the engine from completions, chat and gRPC, an empty one is refused as vLLM refuses
/// it, and on the demo model a prompt's cached prefix is restored only for a request with the same salt.
/// </summary>
public sealed class CacheSaltTests
{
    [Theory]
    [InlineData("/v1/completions", """{"prompt":"Once upon a time","max_tokens":2,"cache_salt":"tenant-a-3f9c"}""")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"cache_salt":"tenant-a-3f9c"}""")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"stream":true,"cache_salt":"tenant-a-3f9c"}""")]
    public async Task Post_CacheSalt_ReachesTheEngine(string path, string body)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, body);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal("tenant-a-3f9c", Assert.Single(engine.Requests).CacheSalt);
    }

    [Fact]
    public async Task Post_WithoutCacheSalt_EngineGetsNone()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", """{"prompt":"Once","max_tokens":1,"cache_salt":null}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(Assert.Single(engine.Requests).CacheSalt);
    }

    [Theory]
    [InlineData("/v1/completions", """{"prompt":"Once","max_tokens":1,"cache_salt":""}""")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"cache_salt":""}""")]
    [InlineData("/v1/completions", """{"prompt":"Once","max_tokens":1,"cache_salt":5}""")]
    public async Task Post_EmptyOrNonStringCacheSalt_Returns400NamingIt(string path, string body)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("cache_salt", (string?)(await Json.ReadAsync(response))["error"]!["param"]);
        Assert.Empty(engine.Requests);
    }

    [Fact]
    public async Task Grpc_CacheSalt_ReachesTheEngine_EmptyIsInvalidArgument()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));

        using (var call = client.Generate(new GenerateRequest { Prompt = "Once upon", MaxTokens = 2, CacheSalt = "tenant-b" }))
        {
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
            }
        }

        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.Generate(new GenerateRequest { Prompt = "Once upon", MaxTokens = 2, CacheSalt = string.Empty });
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal("tenant-b", Assert.Single(engine.Requests).CacheSalt);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("cache_salt", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RealModel_SamePromptUnderTwoSalts_RestoresTheCachedPrefixOnlyForTheSameSalt()
    {
        await using var factory = ServerFactory.WithDemoModel(extra: new Dictionary<string, string?> { ["MambaServe:Scheduler:PrefixCacheInterval"] = "4" });
        var client = await factory.CreateReadyClientAsync();
        var model = factory.Services.GetRequiredService<ModelHost>().Require();
        const string prompt = "The jury said it did find that many of the city's people were pleased";

        var first = await CompleteAsync(client, prompt, "tenant-a");
        long afterFirst = await HitsAfterLookupsAsync(model, 1);
        var other = await CompleteAsync(client, prompt, "tenant-b");
        long afterOther = await HitsAfterLookupsAsync(model, 2);
        var same = await CompleteAsync(client, prompt, "tenant-a");
        long afterSame = await HitsAfterLookupsAsync(model, 3);

        Assert.Equal(afterFirst, afterOther);
        Assert.Equal(afterOther + 1, afterSame);
        Assert.Equal(first, other);
        Assert.Equal(first, same);
    }

    private static async Task<string> CompleteAsync(HttpClient client, string prompt, string salt)
    {
        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt, max_tokens = 6, temperature = 0, cache_salt = salt });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (string)(await Json.ReadAsync(response))["choices"]![0]!["text"]!;
    }

    /// <summary>
    /// This server's prefix-cache hits once its engine's published stats count <paramref name="lookups"/> lookups. Read
    /// from the served model, not /metrics: the Prometheus exporter reads the engine meter of every server in the test
    /// process, so tests running beside this one add their lookups and hits; and a request that ends in the step that
    /// admitted it (EOS at once) can answer before the engine publishes that step's stats.
    /// </summary>
    private static async Task<long> HitsAfterLookupsAsync(IServedModel model, int lookups)
    {
        for (int attempt = 0; model.Stats.PrefixCacheLookups < lookups && attempt < 100; attempt++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(lookups, model.Stats.PrefixCacheLookups);
        return model.Stats.PrefixCacheHits;
    }
}
