using System.Net;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi;

/// <summary>vLLM's min_tokens over HTTP: accepted on completions and chat, refused with a 400 naming it when out of range.</summary>
public sealed class MinTokensTests
{
    private const string Completions = "/v1/completions";
    private const string Chat = "/v1/chat/completions";

    [Theory]
    [InlineData(Completions, """{"prompt":"Hi","max_tokens":8,"min_tokens":5}""", 5)]
    [InlineData(Completions, """{"prompt":"Hi","max_tokens":8,"min_tokens":8,"ignore_eos":true,"stream":true}""", 8)]
    [InlineData(Completions, """{"prompt":"Hi","min_tokens":16}""", 16)]
    [InlineData(Completions, """{"prompt":"Hi","max_tokens":8,"min_tokens":null}""", 0)]
    [InlineData(Completions, """{"prompt":"Hi","max_tokens":8}""", 0)]
    [InlineData(Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":8,"min_tokens":3}""", 3)]
    [InlineData(Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":6,"min_tokens":6,"ignore_eos":true}""", 6)]
    [InlineData(Chat, """{"messages":[{"role":"user","content":"Hi"}],"min_tokens":2,"stream":true}""", 2)]
    public async Task Post_MinTokens_AcceptedAndReachesTheEngine(string path, string body, int minTokens)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, body);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(minTokens, Assert.Single(engine.Requests).Sampling.MinTokens);
    }

    [Theory]
    [InlineData(Completions, """{"prompt":"Hi","max_tokens":8,"min_tokens":-1}""", "min_tokens must be >= 0")]
    [InlineData(Chat, """{"messages":[{"role":"user","content":"Hi"}],"min_tokens":-3}""", "min_tokens must be >= 0")]
    [InlineData(Completions, """{"prompt":"Hi","max_tokens":8,"min_tokens":2.5}""", "min_tokens must be a whole number.")]
    [InlineData(Chat, """{"messages":[{"role":"user","content":"Hi"}],"min_tokens":"5"}""", "min_tokens must be an integer, not a string.")]
    [InlineData(Completions, """{"prompt":"Hi","min_tokens":true}""", "min_tokens must be an integer, not a boolean.")]
    [InlineData(Completions, """{"prompt":"Hi","min_tokens":1e40}""", "min_tokens must be an integer from -2147483648 to 2147483647.")]
    [InlineData(Completions, """{"prompt":"Hi","max_tokens":4,"min_tokens":9}""", "min_tokens must be less than or equal to max_tokens (4), got 9")]
    [InlineData(Completions, """{"prompt":"Hi","min_tokens":17}""", "min_tokens must be less than or equal to max_tokens (16), got 17")]
    [InlineData(Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":4,"min_tokens":9}""", "min_tokens must be less than or equal to max_tokens (4), got 9")]
    [InlineData(Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":2,"min_tokens":3}""", "min_tokens must be less than or equal to max_completion_tokens (2), got 3")]
    public async Task Post_MinTokensOutOfRangeOrNotAnInteger_Returns400NamingIt(string path, string body, string message)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, path, body);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var error = Json.Parse(text)["error"]!;
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        Assert.Equal("min_tokens", (string?)error["param"]);
        Assert.Equal(message, (string?)error["message"]);
        Assert.Empty(engine.Requests);
    }
}
