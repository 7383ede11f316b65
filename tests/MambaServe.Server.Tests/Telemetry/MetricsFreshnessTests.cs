using System.Net;
using MambaServe.Server.Tests.Infrastructure;
using MambaServe.Server.Tests.OpenAi.Responses;

namespace MambaServe.Server.Tests.Telemetry;

/// <summary>/metrics tells the truth at once: no scrape cache, rejections counted by status and reason.</summary>
[Collection(SoloCollection.Name)]
public sealed class MetricsFreshnessTests
{
    private const string RequestCount = "gen_ai_server_request_duration_seconds_count";
    private const string Rejected = "mambaserve_requests_rejected_total";
    private const string Sockets = "mambaserve_responses_sockets";
    private const string Steers = "mambaserve_responses_steers_total";

    [Fact]
    public async Task Metrics_RequestsBetweenTwoScrapes_CountedInTheSecond()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        await CompleteAsync(client);
        double before = Prometheus.Sum(await client.GetStringAsync("/metrics"), RequestCount);

        int requests = Random.Shared.Next(1, 4);
        for (int i = 0; i < requests; i++)
        {
            await CompleteAsync(client);
        }

        var scrape = await client.GetStringAsync("/metrics");
        double after = Prometheus.Sum(scrape, RequestCount);
        Assert.True(before + requests == after, $"{before} + {requests} != {after}\n{scrape}");
    }

    [Fact]
    public async Task Metrics_RejectedRequests_CountedByStatusAndReason()
    {
        var key = $"sk-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:ApiKeys:0"] = key };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        var client = await factory.CreateReadyClientAsync();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        int unknown = Random.Shared.Next(1, 4);
        for (int i = 0; i < unknown; i++)
        {
            (await Json.PostAsync(client, "/v1/completions", """{"prompt":"hi","max_token":3}""")).Dispose();
        }

        (await Json.PostAsync(client, "/v1/completions", """{"prompt":"hi","best_of":3}""")).Dispose();
        (await client.GetAsync("/v1/nowhere")).Dispose();
        using var anonymous = factory.CreateClient();
        (await anonymous.GetAsync("/v1/models")).Dispose();

        var text = await client.GetStringAsync("/metrics");
        Assert.Equal(unknown, Prometheus.Sum(text, Rejected, ("http_response_status_code", "400"), ("mambaserve_reject_reason", "unknown_parameter")));
        Assert.Equal(1, Prometheus.Sum(text, Rejected, ("http_response_status_code", "400"), ("mambaserve_reject_reason", "unsupported_parameter")));
        Assert.Equal(1, Prometheus.Sum(text, Rejected, ("http_response_status_code", "404"), ("mambaserve_reject_reason", "not_found")));
        Assert.Equal(1, Prometheus.Sum(text, Rejected, ("http_response_status_code", "401"), ("mambaserve_reject_reason", "invalid_api_key")));
    }

    [Fact]
    public async Task Metrics_GrpcRejection_CountedLikeRest()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var grpc = new MambaServe.Server.Grpc.V1.TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));

        await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(async () =>
            await grpc.TokenizeAsync(new MambaServe.Server.Grpc.V1.TokenizeRequest { Model = $"other-{Guid.NewGuid():N}", Text = "x" }));

        var text = await client.GetStringAsync("/metrics");
        Assert.Equal(1, Prometheus.Sum(text, Rejected, ("http_response_status_code", "404"), ("mambaserve_reject_reason", "model_not_found")));
    }

    [Fact]
    public async Task Metrics_ResponsesSockets_OpenOnesCounted_AndTheirErrorEventsCountedAsRejections()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        await using var first = await ResponsesSocket.ConnectAsync(factory);
        var second = await ResponsesSocket.ConnectAsync(factory);
        await first.SendAsync("""{"type":"response.create","input":"Hi","previous_response_id":"resp_000000000000000000000000000000000000000000000000"}""");
        await first.ReceiveAsync();
        await second.SendAsync("""{"type":"response.cancel"}""");
        await second.ReceiveAsync();

        var text = await client.GetStringAsync("/metrics");
        Assert.Equal(2, Prometheus.Sum(text, Sockets));
        Assert.Equal(1, Prometheus.Sum(text, Rejected, ("http_response_status_code", "400"), ("mambaserve_reject_reason", "previous_response_not_found")));
        Assert.Equal(1, Prometheus.Sum(text, Rejected, ("http_response_status_code", "400"), ("mambaserve_reject_reason", "unsupported_event_type")));
        await second.DisposeAsync();
        // The server ends the socket's session just after the close handshake.
        text = await Prometheus.ScrapeUntilAsync(client, t => Prometheus.Sum(t, Sockets) == 1);

        Assert.Equal(1, Prometheus.Sum(text, Sockets));
    }

    [Fact]
    public async Task Metrics_Steers_CountedByOutcome()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        string id = await ResponsesSocketSteeringTests.StartHeldAsync(socket, engine, new { input = "Hello", max_output_tokens = 4 });
        await socket.SendAsync(ResponsesSocketSteeringTests.Steer(id, "Shorter."));
        await socket.SendAsync(ResponsesSocketSteeringTests.Steer(id, new[] { new { role = "assistant", content = "No." } }));
        await socket.SendAsync(ResponsesSocketSteeringTests.Steer("resp_000000000000000000000000000000000000000000000000", "Hi"));
        int ends = 0;
        for (int answers = 0; ends < 2 || answers < 3;)
        {
            var item = (await socket.ReceiveAsync())!;
            string type = (string)item["type"]!;
            answers += type.StartsWith("response.steer", StringComparison.Ordinal) ? 1 : 0;
            ends += type is "response.completed" or "response.incomplete" ? 1 : 0;
            if (answers == 3)
            {
                engine.ReleaseAfterFirst(); // the steered response ends, then its successor runs
            }
        }

        var text = await client.GetStringAsync("/metrics");
        Assert.Equal(1, Prometheus.Sum(text, Steers, ("mambaserve_steer_outcome", "accepted")));
        Assert.Equal(1, Prometheus.Sum(text, Steers, ("mambaserve_steer_outcome", "committed")));
        Assert.Equal(1, Prometheus.Sum(text, Steers, ("mambaserve_steer_outcome", "failed"), ("mambaserve_reject_reason", "invalid_input")));
        Assert.Equal(1, Prometheus.Sum(text, Steers, ("mambaserve_steer_outcome", "failed"), ("mambaserve_reject_reason", "response_not_found")));
    }

    private static async Task CompleteAsync(HttpClient client)
    {
        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = "Hello", max_tokens = 2 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
