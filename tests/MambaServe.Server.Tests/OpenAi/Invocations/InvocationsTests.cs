using System.Net;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi.Invocations;

/// <summary>POST /invocations (SageMaker's route): a chat or a completion request by its body, answered as its own route answers it.</summary>
public sealed class InvocationsTests
{
    [Theory]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"Tell me about the jury."}],"max_tokens":8,"temperature":0}""")]
    [InlineData("/v1/completions", """{"prompt":"The jury said","max_tokens":8,"temperature":0}""")]
    public async Task Invocations_AnswersAsTheRouteTheBodyBelongsTo(string route, string body)
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();

        using var direct = await Json.PostAsync(client, route, body);
        using var invoked = await Json.PostAsync(client, "/invocations", body);

        var (expected, actual) = (await Json.ReadAsync(direct), await Json.ReadAsync(invoked));
        Assert.Equal(HttpStatusCode.OK, invoked.StatusCode);
        Assert.Equal((string?)expected["object"], (string?)actual["object"]);
        Assert.Equal(expected["choices"]![0]!.ToJsonString(), actual["choices"]![0]!.ToJsonString());
    }

    [Fact]
    public async Task Invocations_Streamed_SendsTheRoutesEvents()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/invocations", """{"prompt":"Hello","max_tokens":3,"stream":true}""");

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"input":"hi"}""", null)]
    [InlineData("""{"prompt":"hi","temperature":-1}""", "temperature")]
    [InlineData("""{"messages":"hi"}""", "messages")]
    [InlineData("""[1, 2]""", null)]
    [InlineData("""{"prompt":""", null)]
    public async Task Invocations_BadBody_Is400(string body, string? param)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/invocations", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, (string?)(await Json.ReadAsync(response))["error"]!["param"]);
    }

    [Fact]
    public async Task Invocations_WithApiKeysOn_NeedsAKey()
    {
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:ApiKeys:0"] = "sk-alice" };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/invocations", """{"prompt":"Hello","max_tokens":2}""");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
