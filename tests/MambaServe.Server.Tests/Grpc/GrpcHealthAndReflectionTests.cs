using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Grpc;

public sealed class GrpcHealthAndReflectionTests
{
    [Theory]
    [InlineData("")]
    [InlineData("mambaserve.v1.TextGeneration")]
    public async Task HealthCheck_ServiceByName_NotServingWhileLoading_ServingOnceLoaded(string service)
    {
        var loader = new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, new FakeEngine(DemoTokenizer.Instance)), waitForRelease: true);
        await using var factory = new ServerFactory(loader);
        var health = new global::Grpc.Health.V1.Health.HealthClient(GrpcClients.Channel(factory));

        var loading = await health.CheckAsync(new HealthCheckRequest { Service = service });
        loader.Release();
        await factory.CreateReadyClientAsync();
        var loaded = await health.CheckAsync(new HealthCheckRequest { Service = service });

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, loading.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, loaded.Status);
    }

    [Fact]
    public async Task HealthCheck_UnknownService_NotFound()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var health = new global::Grpc.Health.V1.Health.HealthClient(GrpcClients.Channel(factory));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await health.CheckAsync(new HealthCheckRequest { Service = $"no.such.Service{Random.Shared.Next()}" }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Reflection_ListServices_IncludesTextGenerationAndHealth()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var reflection = new ServerReflection.ServerReflectionClient(GrpcClients.Channel(factory));

        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        Assert.Contains("mambaserve.v1.TextGeneration", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
