using System.Net;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>The real process's /metrics against its own traffic (the collection runs alone, so no other request interferes).</summary>
[Collection(RealServerCollection.Name)]
public sealed class RealServerMetricsTests(RealServerFixture fixture)
{
    private const string Tokens = "mambaserve_tokens_total";

    [Fact]
    public async Task Completions_MaxTokensZero_CountsPromptTokensAndNoOutputToken()
    {
        using var http = new HttpClient { BaseAddress = fixture.Server.BaseAddress };
        var before = await http.GetStringAsync("/metrics");
        var prompt = string.Join(' ', Enumerable.Range(0, Random.Shared.Next(3, 10)).Select(_ => Random.Shared.Next(10, 1000)));

        using var response = await Json.PostAsync(http, "/v1/completions", new { prompt, max_tokens = 0, echo = true, logprobs = 1 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        int promptTokens = (int)(await Json.ReadAsync(response))["usage"]!["prompt_tokens"]!;

        // Engine counters are added at the end of its step, possibly just after the answer left: poll (bounded).
        string after = before;
        for (int i = 0; i < 200 && Input(after) < Input(before) + promptTokens; i++)
        {
            await Task.Delay(50);
            after = await http.GetStringAsync("/metrics");
        }

        Assert.Equal(Input(before) + promptTokens, Input(after));
        Assert.Equal(Output(before), Output(after));
    }

    private static double Input(string metrics) => Prometheus.Sum(metrics, Tokens, ("gen_ai_token_type", "input"));

    private static double Output(string metrics) => Prometheus.Sum(metrics, Tokens, ("gen_ai_token_type", "output"));
}
