using System.Net;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Health;

public sealed class HealthEndpointTests
{
    [Fact]
    public async Task Health_WhileLoading503_ThenLoaded200_LiveAlways200()
    {
        var loader = new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, new FakeEngine(DemoTokenizer.Instance)), waitForRelease: true);
        await using var factory = new ServerFactory(loader);
        var client = factory.CreateClient();

        var loadingHealth = await client.GetAsync("/health");
        var loadingLive = await client.GetAsync("/health/live");
        loader.Release();
        await factory.CreateReadyClientAsync();
        var loadedHealth = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, loadingHealth.StatusCode);
        Assert.Equal(HttpStatusCode.OK, loadingLive.StatusCode);
        Assert.Equal(HttpStatusCode.OK, loadedHealth.StatusCode);
    }

    [Fact]
    public async Task Health_LoadFailed_Stays503AndCompletionsSayWhy()
    {
        var settings = new Dictionary<string, string?> { ["MambaServe:Model:Path"] = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}") };
        await using var factory = new ServerFactory(null, settings);
        var client = factory.CreateClient();

        // The failure surfaces as the health reason; poll until the loader has given up.
        string reason = string.Empty;
        for (int i = 0; i < 200 && !reason.Contains("failed", StringComparison.Ordinal); i++)
        {
            using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = "x" });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            reason = (string?)(await Json.ReadAsync(response))["error"]!["message"] ?? string.Empty;
            await Task.Delay(25);
        }

        Assert.Contains("failed to load", reason, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Health_DeviceLost_Turns503()
    {
        var model = new FakeServedModel("fake-model", DemoTokenizer.Instance, new FakeEngine(DemoTokenizer.Instance));
        await using var factory = new ServerFactory(new FakeModelLoader(model));
        var client = await factory.CreateReadyClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);

        model.FaultReason = "cudaErrorIllegalAddress: an illegal memory access was encountered";

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Health_ApiKeysConfigured_StaysOpen()
    {
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:ApiKeys:0"] = "secret" };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        var client = await factory.CreateReadyClientAsync();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/models")).StatusCode);
    }
}
