using k8s.Models;
using MambaServe.Deploy.Tests.Infrastructure;

namespace MambaServe.Deploy.Tests.Kubernetes;

/// <summary>The rendered Service and PodDisruptionBudget of each overlay.</summary>
public sealed class ServiceManifestTests
{
    [Theory]
    [MemberData(nameof(RenderedObjects.Overlays), MemberType = typeof(RenderedObjects))]
    public async Task Service_Rendered_ExposesRestAndGrpcAsH2cOnTheContainerPorts(string overlay)
    {
        var rendered = await RenderedObjects.OverlayAsync(overlay);
        var service = rendered.Single<V1Service>();
        var settings = new ContainerSettings(rendered.Server.Env).Server;

        var rest = Assert.Single(service.Spec.Ports, p => p.Name == "http");
        var grpc = Assert.Single(service.Spec.Ports, p => p.Name == "grpc");
        Assert.Equal("http", rest.TargetPort.Value);
        Assert.Equal("grpc", grpc.TargetPort.Value);
        Assert.Equal(settings.Port, rest.Port);
        Assert.Equal(settings.GrpcPort, grpc.Port);
        Assert.Equal("kubernetes.io/h2c", grpc.AppProtocol);
        Assert.Equal("http", rest.AppProtocol);
    }

    [Theory]
    [MemberData(nameof(RenderedObjects.Overlays), MemberType = typeof(RenderedObjects))]
    public async Task SelectorsOfServiceAndBudget_Rendered_MatchThePodLabels(string overlay)
    {
        var rendered = await RenderedObjects.OverlayAsync(overlay);
        var labels = rendered.Deployment.Spec.Template.Metadata.Labels;

        Assert.All(rendered.Single<V1Service>().Spec.Selector, s => Assert.Equal(s.Value, labels[s.Key]));
        var budget = rendered.Single<V1PodDisruptionBudget>();
        Assert.All(budget.Spec.Selector.MatchLabels, s => Assert.Equal(s.Value, labels[s.Key]));
        Assert.All(rendered.Deployment.Spec.Selector.MatchLabels, s => Assert.Equal(s.Value, labels[s.Key]));
        // A budget of "at least one available" would block every node drain of a one-replica deployment.
        Assert.Equal("1", budget.Spec.MaxUnavailable.Value);
    }
}
