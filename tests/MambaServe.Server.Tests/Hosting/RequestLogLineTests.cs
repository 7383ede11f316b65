using System.Net;
using MambaServe.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>One Serilog line per HTTP request, whatever its outcome, and no error lines for a model that is loading.</summary>
public sealed class RequestLogLineTests
{
    public enum Outcome { BadRequest, Unauthorized, NotFound, TooLarge, Overloaded, EngineFailure, Ok }

    [Theory]
    [InlineData(Outcome.BadRequest, 400)]
    [InlineData(Outcome.Unauthorized, 401)]
    [InlineData(Outcome.NotFound, 404)]
    [InlineData(Outcome.TooLarge, 413)]
    [InlineData(Outcome.Overloaded, 429)]
    [InlineData(Outcome.EngineFailure, 500)]
    [InlineData(Outcome.Ok, 200)]
    public async Task Request_AnyOutcome_OneLineWithMethodPathStatusDurationAndRequestId(Outcome outcome, int status)
    {
        var sink = new CollectingSink();
        var key = $"sk-{Guid.NewGuid():N}";
        var engine = new FakeEngine(DemoTokenizer.Instance) { Overloaded = outcome == Outcome.Overloaded, FailAfterFirst = outcome == Outcome.EngineFailure };
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:ApiKeys:0"] = key, ["MambaServe:Server:MaxRequestBodyBytes"] = "2048" };
        var loader = new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, engine));
        await using var factory = new ServerFactory(loader, settings) { TestServices = s => s.AddSingleton<ILogEventSink>(sink) };
        var client = await factory.CreateReadyClientAsync();
        client.DefaultRequestHeaders.Authorization = outcome == Outcome.Unauthorized ? null : new("Bearer", key);
        string path = outcome == Outcome.NotFound ? $"/v1/missing-{Guid.NewGuid():N}" : "/v1/completions";
        string body = outcome switch
        {
            Outcome.BadRequest => """{"prompt":"hi","temperature":"hot"}""",
            Outcome.TooLarge => $$"""{"prompt":"{{new string('a', 4096)}}"}""",
            _ => """{"prompt":"hi","max_tokens":3}""",
        };

        using var response = await Json.PostAsync(client, path, body);
        Assert.Equal(status, (int)response.StatusCode);

        var line = await SingleRequestLineAsync(sink, path);
        Assert.Equal("POST", Scalar(line, "RequestMethod"));
        Assert.Equal(status, Scalar(line, "StatusCode"));
        Assert.IsType<double>(Scalar(line, "Elapsed"));
        Assert.False(string.IsNullOrEmpty(Scalar(line, "RequestId") as string));
        Assert.Equal(status >= 500 ? LogEventLevel.Error : LogEventLevel.Information, line.Level);
        var text = line.RenderMessage();
        Assert.Contains(path, text, StringComparison.Ordinal);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_WhileModelLoads_NoErrorLogged()
    {
        var sink = new CollectingSink();
        var loader = new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, new FakeEngine(DemoTokenizer.Instance)), waitForRelease: true);
        await using var factory = new ServerFactory(loader) { TestServices = s => s.AddSingleton<ILogEventSink>(sink) };
        var client = factory.CreateClient();
        var health = new global::Grpc.Health.V1.Health.HealthClient(GrpcClients.Channel(factory));

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health")).StatusCode);
            await health.CheckAsync(new global::Grpc.Health.V1.HealthCheckRequest());
        }

        await SingleRequestLineAsync(sink, "/health", atLeast: 3);
        loader.Release();
        await factory.CreateReadyClientAsync();

        Assert.DoesNotContain(sink.Events, e => e.Level >= LogEventLevel.Error);
    }

    [Fact]
    public async Task Completions_MaxTokensZero_LogsNoCompletionToken()
    {
        var sink = new CollectingSink();
        var loader = new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, new FakeEngine(DemoTokenizer.Instance)));
        await using var factory = new ServerFactory(loader) { TestServices = s => s.AddSingleton<ILogEventSink>(sink) };
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = "The cat sat", max_tokens = 0, echo = true, logprobs = 1 });
        var body = await Json.ReadAsync(response);
        Assert.Equal(0, (int?)body["usage"]!["completion_tokens"]);

        var id = (string?)body["id"];
        LogEvent? done = null;
        for (int i = 0; i < 400 && done is null; i++)
        {
            done = sink.Events.FirstOrDefault(e => Scalar(e, "RequestId") as string == id && e.Properties.ContainsKey("CompletionTokens"));
            await Task.Delay(done is null ? 25 : 0);
        }

        Assert.NotNull(done);
        Assert.Equal(0, Scalar(done, "CompletionTokens"));
        Assert.Equal("length", Scalar(done, "FinishReason"));
    }

    // The request line is written when the response completes, just after the client has it: wait for it (bounded).
    private static async Task<LogEvent> SingleRequestLineAsync(CollectingSink sink, string path, int atLeast = 1)
    {
        bool IsLine(LogEvent e) => e.MessageTemplate.Text.StartsWith("HTTP ", StringComparison.Ordinal) && Scalar(e, "RequestPath") as string == path;
        for (int i = 0; i < 400 && sink.Events.Count(IsLine) < atLeast; i++)
        {
            await Task.Delay(25);
        }

        var lines = sink.Events.Where(IsLine).ToList();
        if (atLeast == 1)
        {
            return Assert.Single(lines);
        }

        Assert.True(lines.Count >= atLeast);
        return lines[0];
    }

    private static object? Scalar(LogEvent e, string property) =>
        e.Properties.TryGetValue(property, out var value) ? (value as ScalarValue)?.Value : null;
}
