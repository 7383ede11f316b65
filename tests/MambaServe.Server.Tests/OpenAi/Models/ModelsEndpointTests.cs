using System.Net;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi.Models;

public sealed class ModelsEndpointTests
{
    [Fact]
    public async Task ListModels_ServedModel_HasIdAndConfiguredLimits()
    {
        int maxLen = Random.Shared.Next(100, 9000), maxGeneration = Random.Shared.Next(1, 5_000_000);
        var settings = new Dictionary<string, string?>
        {
            ["MambaServe:Model:MaxModelLen"] = maxLen.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MambaServe:Model:MaxGenerationTokens"] = maxGeneration.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, "served-x", settings);
        var client = await factory.CreateReadyClientAsync();

        var body = await Json.ReadAsync(await client.GetAsync("/v1/models"));

        Assert.Equal("list", (string?)body["object"]);
        var model = Assert.Single(body["data"]!.AsArray())!;
        Assert.Equal("served-x", (string?)model["id"]);
        Assert.Equal("model", (string?)model["object"]);
        Assert.Equal(maxLen, (int)model["max_model_len"]!);
        Assert.Equal(maxGeneration, (int)model["max_generation_tokens"]!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models/served-x")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/models/other")).StatusCode);
    }

    [Fact]
    public async Task Tokenize_ThenDetokenize_RoundTrips()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var text = $"Round trip {Random.Shared.Next()} words";

        var tokenized = await Json.ReadAsync(await Json.PostAsync(client, "/tokenize", new { prompt = text }));
        var ids = tokenized["tokens"]!.AsArray().Select(t => (int)t!).ToList();
        var detokenized = await Json.ReadAsync(await Json.PostAsync(client, "/detokenize", new { tokens = ids }));

        Assert.Equal(DemoTokenizer.Instance.Encode(text), ids);
        Assert.Equal(ids.Count, (int)tokenized["count"]!);
        Assert.Equal(4096, (int)tokenized["max_model_len"]!);
        Assert.Equal(text, (string?)detokenized["prompt"]);
    }

    [Fact]
    public async Task Tokenize_ModelWithoutTokenizer_Returns400()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(null));
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/tokenize", new { prompt = "hi" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
