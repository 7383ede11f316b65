using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi;

public sealed class ErrorResponseTests
{
    [Theory]
    [InlineData("/v1/completions", """{"prompt":"hi",""", null)]
    [InlineData("/v1/completions", """[1,2,3]""", null)]
    [InlineData("/v1/completions", """{"prompt":"hi","temperature":"hot"}""", "temperature")]
    [InlineData("/v1/completions", """{"prompt":"hi","max_tokens":1.5}""", "max_tokens")]
    [InlineData("/v1/completions", """{"prompt":"hi","stop":7}""", "stop")]
    [InlineData("/v1/completions", """{"prompt":"hi","temperature":-0.5}""", "temperature")]
    [InlineData("/v1/completions", """{"prompt":"hi","top_p":1.5}""", "top_p")]
    [InlineData("/v1/completions", """{"prompt":"hi","logprobs":21}""", "logprobs")]
    [InlineData("/v1/completions", """{"prompt":"hi","presence_penalty":3}""", "presence_penalty")]
    [InlineData("/v1/completions", """{"prompt":"hi","max_tokens":-1}""", "max_tokens")]
    [InlineData("/v1/completions", """{"prompt":"hi","n":0}""", "n")]
    [InlineData("/v1/completions", """{"prompt":"hi","n":65}""", "n")]
    [InlineData("/v1/completions", """{"prompt":"hi","logit_bias":{"abc":1}}""", "logit_bias")]
    [InlineData("/v1/completions", """{"prompt":"hi","logit_bias":{"5":101}}""", "logit_bias")]
    [InlineData("/v1/completions", """{"max_tokens":3}""", "prompt")]
    [InlineData("/v1/completions", """{"prompt":""}""", "prompt")]
    [InlineData("/v1/completions", """{"prompt":[]}""", "prompt")]
    [InlineData("/v1/completions", """{"prompt":[1,"a"]}""", "prompt")]
    [InlineData("/v1/completions", """{"prompt":[1,999999]}""", "prompt")]
    [InlineData("/v1/completions", """{"prompt":{"text":"hi"}}""", "prompt")]
    [InlineData("/v1/completions", """{"prompt":"hi","max_tokens":1000001}""", "max_tokens")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"max_completion_tokens":1000001}""", "max_completion_tokens")]
    [InlineData("/v1/chat/completions", """{"messages":[]}""", "messages")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"wizard","content":"hi"}]}""", "messages[0].role")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"top_logprobs":2}""", "top_logprobs")]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", "max_tokens")]
    [InlineData("/tokenize", """{"prompt":5}""", "prompt")]
    [InlineData("/detokenize", """{"tokens":[-1]}""", "tokens")]
    public async Task Post_BadInput_Returns400WithOpenAiErrorBody(string path, string body, string? param)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, body);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", param);
    }

    [Fact]
    public async Task Post_EmptyBody_Returns400()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await client.PostAsync("/v1/completions", new StringContent(string.Empty, Encoding.UTF8, "application/json"));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", null);
    }

    [Fact]
    public async Task Completions_UnknownModel_Returns404()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", new { model = $"other-{Guid.NewGuid():N}", prompt = "hi" });

        var error = await AssertErrorAsync(response, HttpStatusCode.NotFound, "invalid_request_error", "model");
        Assert.Equal("model_not_found", (string?)error["code"]);
    }

    [Theory]
    [InlineData("GET", "/v1/nothing-here")]
    [InlineData("POST", "/v2/completions")]
    public async Task UnknownRoute_Returns404WithErrorBody(string method, string path)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await AssertErrorAsync(response, HttpStatusCode.NotFound, "invalid_request_error", null);
    }

    [Fact]
    public async Task Completions_BodyOverLimit_Returns413()
    {
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:MaxRequestBodyBytes"] = "2048" };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = new string('a', 4096) });

        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "invalid_request_error", null);
    }

    [Fact]
    public async Task Completions_EngineOverloaded_Returns429()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Overloaded = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = "hi", stream = true });

        await AssertErrorAsync(response, HttpStatusCode.TooManyRequests, "rate_limit_error", null);
    }

    [Fact]
    public async Task Completions_ModelStillLoading_Returns503()
    {
        var loader = new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, new FakeEngine(DemoTokenizer.Instance)), waitForRelease: true);
        await using var factory = new ServerFactory(loader);
        var client = factory.CreateClient();

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = "hi" });

        await AssertErrorAsync(response, HttpStatusCode.ServiceUnavailable, "service_unavailable_error", null);
        loader.Release();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key")]
    [InlineData("Basic c2VjcmV0")]
    public async Task Completions_ApiKeysConfiguredAndMissingOrWrong_Returns401(string? authorization)
    {
        var key = $"sk-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:ApiKeys:0"] = key };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        var client = await factory.CreateReadyClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = JsonContent("""{"prompt":"hi"}""") };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.SendAsync(request);

        var error = await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error", null);
        Assert.Equal("invalid_api_key", (string?)error["code"]);
    }

    [Fact]
    public async Task Completions_ApiKeysConfiguredAndRightKey_Succeeds()
    {
        var key = $"sk-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:ApiKeys:0"] = "another", ["MambaServe:Server:ApiKeys:1"] = key };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        var client = await factory.CreateReadyClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = JsonContent("""{"prompt":"hi","max_tokens":1}""") };
        request.Headers.Authorization = new("Bearer", key);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static StringContent JsonContent(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonNode> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string type, string? param)
    {
        Assert.Equal(status, response.StatusCode);
        var error = (await Json.ReadAsync(response))["error"]!;
        Assert.False(string.IsNullOrWhiteSpace((string?)error["message"]));
        Assert.Equal(type, (string?)error["type"]);
        Assert.Equal(param, (string?)error["param"]);
        Assert.True(error.AsObject().ContainsKey("code"));
        return error;
    }
}
