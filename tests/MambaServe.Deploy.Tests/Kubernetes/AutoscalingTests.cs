using k8s.Models;
using MambaServe.Deploy.Tests.Infrastructure;
using MambaServe.Server.Health;

namespace MambaServe.Deploy.Tests.Kubernetes;

/// <summary>
/// Autoscaling and probes against the running server: the HPA's metrics must be gauges the server really exports
/// under those names, Prometheus Adapter and KEDA must ask for the same, and the probe paths must answer.
/// </summary>
[Collection(RunningServerCollection.Name)]
public sealed class AutoscalingTests(RunningServer server)
{
    [Theory]
    [MemberData(nameof(RenderedObjects.Overlays), MemberType = typeof(RenderedObjects))]
    public async Task Hpa_Rendered_ScalesTheDeploymentOnGaugesTheServerExports(string overlay)
    {
        var rendered = await RenderedObjects.OverlayAsync(overlay);
        var hpa = rendered.Single<V2HorizontalPodAutoscaler>();

        Assert.Equal(rendered.Deployment.Metadata.Name, hpa.Spec.ScaleTargetRef.Name);
        Assert.Equal("Deployment", hpa.Spec.ScaleTargetRef.Kind);
        Assert.All(hpa.Spec.Metrics, m => Assert.Equal("Pods", m.Type));
        var names = hpa.Spec.Metrics.Select(m => m.Pods.Metric.Name).ToList();
        Assert.Contains("mambaserve_scheduler_waiting", names);
        Assert.All(names, name => Assert.Equal("gauge", server.MetricFamilies.GetValueOrDefault(name)));
    }

    [Fact]
    public async Task PrometheusAdapterRules_ServeEveryHpaMetricUnderItsExportedName()
    {
        var hpa = (await RenderedObjects.OverlayAsync("cpu")).Single<V2HorizontalPodAutoscaler>();
        var rules = YamlFile.Load("kubernetes", "autoscaling", "prometheus-adapter-values.yaml").At("rules", "custom").Items().ToList();

        foreach (var name in hpa.Spec.Metrics.Select(m => m.Pods.Metric.Name))
        {
            var rule = Assert.Single(rules, r => r.At("name", "as").Text() == name);
            Assert.StartsWith(name + "{", rule.At("seriesQuery").Text(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task KedaTriggers_QueryTheHpasMetrics()
    {
        var hpa = (await RenderedObjects.OverlayAsync("cpu")).Single<V2HorizontalPodAutoscaler>();
        var queries = YamlFile.Load("kubernetes", "autoscaling", "keda-scaledobject.yaml").At("spec", "triggers").Items()
            .Select(t => t.At("metadata", "query").Text()).ToList();

        Assert.Equal(hpa.Spec.Metrics.Select(m => m.Pods.Metric.Name).Order(), queries.Select(MetricOf).Order());
    }

    [Fact]
    public async Task ProbePaths_Rendered_AnswerOkOnTheRunningServer()
    {
        var probes = (await RenderedObjects.OverlayAsync("cpu")).Server;

        foreach (var path in new[] { probes.ReadinessProbe.HttpGet.Path, probes.LivenessProbe.HttpGet.Path, probes.StartupProbe.HttpGet.Path })
        {
            using var response = await server.Client.GetAsync(path);
            Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task MetricsPath_OfThePodAnnotation_ServesPrometheusText()
    {
        var annotations = (await RenderedObjects.OverlayAsync("cpu")).Deployment.Spec.Template.Metadata.Annotations;

        Assert.Equal(HealthRoutes.Metrics, annotations["prometheus.io/path"]);
        var text = await server.Client.GetStringAsync(annotations["prometheus.io/path"]);
        Assert.Contains("# TYPE mambaserve_scheduler_waiting gauge", text, StringComparison.Ordinal);
    }

    private static string MetricOf(string query)
    {
        // "sum(NAME{...})": the one metric a trigger reads.
        var start = query.IndexOf('(', StringComparison.Ordinal) + 1;
        return query[start..query.IndexOf('{', StringComparison.Ordinal)];
    }
}
