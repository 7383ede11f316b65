using System.Net;
using MambaServe.Server.Hosting;
using MambaServe.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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
    public async Task Health_LoadFailed_StopsTheApplicationWithTheReason()
    {
        var reason = $"weights missing {Guid.NewGuid():N}";
        var loader = new FailingLoader(reason);
        await using var factory = new ServerFactory(loader);
        var stopping = factory.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var models = factory.Services.GetRequiredService<ModelHost>();

        loader.Release();
        // A failed load ends the process (ServerRunner exits non-zero) instead of answering 503 forever.
        await Task.Delay(Timeout.Infinite, stopping).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(reason, models.LoadFailure);
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
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ping")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/version")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/models")).StatusCode);
    }

    [Fact]
    public async Task Ping_GetAndPost_FollowReadiness()
    {
        var loader = new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, new FakeEngine(DemoTokenizer.Instance)), waitForRelease: true);
        await using var factory = new ServerFactory(loader);
        var client = factory.CreateClient();

        var loadingGet = await client.GetAsync("/ping");
        var loadingPost = await client.PostAsync("/ping", null);
        loader.Release();
        await factory.CreateReadyClientAsync();
        var loadedGet = await client.GetAsync("/ping");
        var loadedPost = await client.PostAsync("/ping", null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, loadingGet.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, loadingPost.StatusCode);
        Assert.Equal(HttpStatusCode.OK, loadedGet.StatusCode);
        Assert.Equal(HttpStatusCode.OK, loadedPost.StatusCode);
    }

    [Fact]
    public async Task Version_GivesTheServersInformationalVersion()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var stamped = typeof(ServerApp).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;

        var body = await Json.ReadAsync(await client.GetAsync("/version"));

        Assert.Equal(stamped, (string?)body["version"]);
        Assert.Matches(@"^\d+\.\d+\.\d+", stamped);
    }

    /// <summary>Fails the load once released, so the test holds the services before the application stops.</summary>
    private sealed class FailingLoader(string reason) : IModelLoader
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _release.TrySetResult();

        public async Task<IServedModel> LoadAsync(CancellationToken cancellationToken)
        {
            await _release.Task.WaitAsync(cancellationToken);
            throw new InvalidDataException(reason);
        }
    }
}
