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
        await ScrapeUntilAsync(client, "mambaserve_requests_aborted_total", "error_type=\"aborted\"");
    }

    /// <summary>Scrapes until the text holds every one of <paramref name="expected"/>, and asserts it does.</summary>
    private static async Task<string> ScrapeUntilAsync(HttpClient client, params string[] expected)
    {
        var text = await Prometheus.ScrapeUntilAsync(
            client, t => expected.All(e => t.Contains(e, StringComparison.Ordinal)), attempts: 400);
        foreach (var e in expected) Assert.Contains(e, text);
        return text;
    }
}
