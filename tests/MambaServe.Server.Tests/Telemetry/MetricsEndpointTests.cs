using System.Net;
using System.Text;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Telemetry;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_AfterACompletion_ExportsGenAiHistogramsInPrometheusText()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        using (var completion = await Json.PostAsync(client, "/v1/completions", new { prompt = "Hello", max_tokens = 4 }))
        {
            Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
        }

        var text = await ScrapeUntilAsync(client, "gen_ai_server_time_per_output_token_seconds_count");

        Assert.Contains("gen_ai_server_time_to_first_token_seconds_bucket", text);
        Assert.Contains("gen_ai_server_request_duration_seconds_count", text);
        Assert.Contains("gen_ai_operation_name=\"text_completion\"", text);
        Assert.Contains("gen_ai_request_model=\"fake-model\"", text);
    }

    [Fact]
    public async Task Metrics_ClientDisconnect_CountsAnAbortedRequest()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        await StreamDisconnect.StartThenDisconnectAsync(client, engine);

        // The run counts the abort, then records its duration with the error type: a scrape may fall between the two.
        var text = await Prometheus.ScrapeUntilAsync(
            client, t => t.Contains("mambaserve_requests_aborted_total", StringComparison.Ordinal) && t.Contains("error_type=\"aborted\"", StringComparison.Ordinal),
            attempts: 400);
        Assert.Contains("mambaserve_requests_aborted_total", text);
        Assert.Contains("error_type=\"aborted\"", text);
    }

    private static async Task<string> ScrapeUntilAsync(HttpClient client, string metric)
    {
        var text = await Prometheus.ScrapeUntilAsync(client, t => t.Contains(metric, StringComparison.Ordinal), attempts: 400);
        Assert.Contains(metric, text);
        return text;
    }
}
