using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MambaServe.Deploy.Tests.Infrastructure;
using MambaServe.Server.Health;
using MambaServe.Server.Hosting;

namespace MambaServe.Deploy.Tests.Compose;

/// <summary>deploy/compose: the dashboard, Prometheus and the compose services against the running server.</summary>
[Collection(RunningServerCollection.Name)]
public sealed partial class ComposeStackTests(RunningServer server)
{
    private static readonly string[] s_profiles = ["cpu", "rocm", "cuda"];

    [Fact]
    public void Dashboard_EveryQuery_NamesOnlyMetricsTheServerExports()
    {
        using var dashboard = JsonDocument.Parse(DeployFiles.Read("compose", "grafana", "dashboards", "mambaserve.json"));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .ToList();

        var named = expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).Distinct().ToList();
        Assert.NotEmpty(named);
        Assert.All(named, name => Assert.True(server.MetricFamilies.ContainsKey(Family(name)),
            $"the dashboard queries {name}, which the server's /metrics does not export"));
    }

    [Fact]
    public void Dashboard_Panels_CoverWhatAnOperatorWatches()
    {
        var text = DeployFiles.Read("compose", "grafana", "dashboards", "mambaserve.json");

        string[] required =
        [
            "mambaserve_tokens_total", "gen_ai_server_time_to_first_token_seconds_bucket",
            "gen_ai_server_time_per_output_token_seconds_bucket", "mambaserve_scheduler_running",
            "mambaserve_scheduler_waiting", "mambaserve_state_pool_slots_in_use", "mambaserve_prefix_cache_hits_total",
            "http_response_status_code=~\\\"429|5..\\\"",
        ];
        Assert.All(required, r => Assert.Contains(r, text, StringComparison.Ordinal));
    }

    [Fact]
    public void Prometheus_ScrapesTheServersMetricsRouteAndPort()
    {
        var job = YamlFile.Load("compose", "prometheus", "prometheus.yml").At("scrape_configs").Items()
            .Single(j => j.At("job_name").Text() == "mambaserve");
        var port = new ContainerSettings([]).Server.Port;

        Assert.Equal(HealthRoutes.Metrics, job.At("metrics_path").Text());
        Assert.Equal($"mambaserve:{port}", Assert.Single(job.At("static_configs").Items().Single().At("targets").Items()).Text());
    }

    [Fact]
    public void ServerServices_OfEveryProfile_PublishBothPortsAndOutwaitTheDrain()
    {
        var compose = YamlFile.Load("compose", "compose.yaml");
        var settings = new ContainerSettings([]);

        foreach (var profile in s_profiles)
        {
            var service = compose.At("services", $"mambaserve-{profile}");
            Assert.Equal(profile, Assert.Single(service.At("profiles").Items()).Text());
            var ports = service.At("ports").Items().Select(p => p.Text()).ToList();
            Assert.Contains($"{settings.Server.Port}:{settings.Server.Port}", ports);
            Assert.Contains($"{settings.Server.GrpcPort}:{settings.Server.GrpcPort}", ports);
            var stopGrace = TimeSpan.FromSeconds(int.Parse(service.At("stop_grace_period").Text().TrimEnd('s'), CultureInfo.InvariantCulture));
            Assert.True(stopGrace >= settings.Scheduler.ShutdownGracePeriod + ServerServices.ShutdownMargin);
            Assert.Equal($"deploy/docker/Dockerfile.{profile}", service.At("build", "dockerfile").Text());
        }
    }

    // A histogram's series are NAME_bucket, NAME_count and NAME_sum of the family NAME.
    private static string Family(string series) => HistogramSuffix().Replace(series, string.Empty);

    // A series selector: the name, then its label matchers (label names such as gen_ai_token_type never precede '{').
    [GeneratedRegex(@"\b(?:mambaserve|gen_ai|http_server|kestrel)_[a-z0-9_]+(?=\{)")]
    private static partial Regex MetricName();

    [GeneratedRegex("_(bucket|count|sum)$")]
    private static partial Regex HistogramSuffix();
}
