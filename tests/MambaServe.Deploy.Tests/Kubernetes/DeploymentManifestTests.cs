using k8s.Models;
using MambaServe.Deploy.Tests.Infrastructure;
using MambaServe.Server.Health;
using MambaServe.Server.Hosting;

namespace MambaServe.Deploy.Tests.Kubernetes;

/// <summary>The rendered Deployment of each overlay against the server's real routes, ports and shutdown settings.</summary>
public sealed class DeploymentManifestTests
{
    [Theory]
    [MemberData(nameof(RenderedObjects.Overlays), MemberType = typeof(RenderedObjects))]
    public async Task Probes_Rendered_UseTheServersHealthRoutesOnTheRestPort(string overlay)
    {
        var rendered = await RenderedObjects.OverlayAsync(overlay);
        var server = rendered.Server;

        Assert.Equal(HealthRoutes.Ready, server.StartupProbe.HttpGet.Path);
        Assert.Equal(HealthRoutes.Ready, server.ReadinessProbe.HttpGet.Path);
        Assert.Equal(HealthRoutes.Live, server.LivenessProbe.HttpGet.Path);
        foreach (var probe in new[] { server.StartupProbe, server.ReadinessProbe, server.LivenessProbe })
        {
            Assert.Equal("http", probe.HttpGet.Port.Value);
        }
    }

    [Theory]
    [MemberData(nameof(RenderedObjects.Overlays), MemberType = typeof(RenderedObjects))]
    public async Task StartupProbe_Rendered_WaitsLongEnoughForAModelDownload(string overlay)
    {
        var probe = (await RenderedObjects.OverlayAsync(overlay)).Server.StartupProbe;

        // mamba-2.8b is 11 GB: about 15 minutes at 100 Mbit/s. Liveness and readiness only start after this probe.
        var allowed = TimeSpan.FromSeconds((probe.PeriodSeconds ?? 10) * (double)(probe.FailureThreshold ?? 3));
        Assert.True(allowed >= TimeSpan.FromMinutes(20), $"startup probe allows only {allowed}");
    }

    [Theory]
    [MemberData(nameof(RenderedObjects.Overlays), MemberType = typeof(RenderedObjects))]
    public async Task ContainerPorts_Rendered_AreThePortsTheServerListensOn(string overlay)
    {
        var rendered = await RenderedObjects.OverlayAsync(overlay);
        var settings = new ContainerSettings(rendered.Server.Env).Server;

        Assert.Equal(settings.Port, rendered.ContainerPort("http"));
        Assert.Equal(settings.GrpcPort, rendered.ContainerPort("grpc"));
        // The server binds loopback unless told otherwise; a pod must listen on its own address.
        Assert.Equal("0.0.0.0", settings.Host);
        Assert.DoesNotContain(rendered.Server.Args ?? [], a => a is "--port" or "--grpc-port" or "--host");
    }

    [Theory]
    [MemberData(nameof(RenderedObjects.Overlays), MemberType = typeof(RenderedObjects))]
    public async Task TerminationGracePeriod_Rendered_ExceedsPreStopPlusTheServersShutdownGrace(string overlay)
    {
        var rendered = await RenderedObjects.OverlayAsync(overlay);
        var drain = new ContainerSettings(rendered.Server.Env).Scheduler.ShutdownGracePeriod;
        var preStop = PreStopSleep(rendered.Server);

        var kubelet = TimeSpan.FromSeconds(rendered.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds ?? 30);
        // The server's own bound on shutdown: the drain plus its margin for the last step, final chunks and Kestrel.
        var margin = ServerServices.ShutdownMargin;
        Assert.True(kubelet >= preStop + drain + margin,
            $"terminationGracePeriodSeconds {kubelet.TotalSeconds} s < preStop {preStop.TotalSeconds} s + drain {drain.TotalSeconds} s + shutdown margin {margin.TotalSeconds} s");
    }

    [Theory]
    [InlineData("cpu", null)]
    [InlineData("rocm", "amd.com/gpu")]
    [InlineData("cuda", "nvidia.com/gpu")]
    public async Task Overlay_Rendered_RequestsItsVendorsGpuAndImage(string overlay, string? gpuResource)
    {
        var rendered = await RenderedObjects.OverlayAsync(overlay);
        var limits = rendered.Server.Resources.Limits;

        Assert.Equal($"mambaserve:{overlay}", rendered.Server.Image);
        foreach (var vendor in new[] { "amd.com/gpu", "nvidia.com/gpu" })
        {
            Assert.Equal(vendor == gpuResource, limits.ContainsKey(vendor));
        }

        if (gpuResource is not null)
        {
            Assert.Equal(1, limits[gpuResource].ToInt32());
            // An explicit device: no GPU visible fails the start instead of falling back to the CPU.
            Assert.Equal(overlay, rendered.Env("MambaServe__Model__Device"));
        }
    }

    [Theory]
    [MemberData(nameof(RenderedObjects.Overlays), MemberType = typeof(RenderedObjects))]
    public async Task Volumes_Rendered_ShareTheStateStoreAndModelCacheAcrossReplicas(string overlay)
    {
        var rendered = await RenderedObjects.OverlayAsync(overlay);
        var settings = new ContainerSettings(rendered.Server.Env);

        var stateDirectory = settings["MambaServe:StateStore:Directory"];
        Assert.False(string.IsNullOrEmpty(stateDirectory), "MambaServe__StateStore__Directory is not set");
        Assert.Contains("ReadWriteMany", rendered.ClaimMountedAt(stateDirectory).Spec.AccessModes);
        Assert.NotNull(rendered.ClaimMountedAt(rendered.Env("HF_HOME")!));
    }

    [Theory]
    [MemberData(nameof(RenderedObjects.Overlays), MemberType = typeof(RenderedObjects))]
    public async Task Container_Rendered_RunsAsNonRootWithAWritableTmpOnly(string overlay)
    {
        var rendered = await RenderedObjects.OverlayAsync(overlay);
        var pod = rendered.Deployment.Spec.Template.Spec.SecurityContext;

        Assert.True(pod.RunAsNonRoot);
        Assert.NotEqual(0, pod.RunAsUser);
        Assert.True(rendered.Server.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Contains(rendered.Server.VolumeMounts, m => m.MountPath == "/tmp");
    }

    private static TimeSpan PreStopSleep(V1Container container)
    {
        var command = container.Lifecycle?.PreStop?.Exec?.Command;
        if (command is null)
        {
            return TimeSpan.Zero;
        }

        Assert.Equal("sleep", command[0]);
        return TimeSpan.FromSeconds(int.Parse(command[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
