using System.Net;
using System.Text;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi;

/// <summary>
/// The X-Request-Id header (a proxy's correlation id): it names a request that has no request_id, and the response's
/// X-Request-Id gives the name used, whichever it was.
/// </summary>
public sealed class RequestIdHeaderTests
{
    private const string Completions = "/v1/completions";
    private const string Chat = "/v1/chat/completions";

    private static HttpRequestMessage Post(string path, string? header, string? bodyRequestId, bool stream = false)
    {
        var input = path == Chat ? "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]" : "\"prompt\":\"Hi\"";
        var id = bodyRequestId is null ? string.Empty : $",\"request_id\":\"{bodyRequestId}\"";
        var message = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent($"{{{input},\"max_tokens\":2,\"stream\":{(stream ? "true" : "false")}{id}}}", Encoding.UTF8, "application/json"),
        };
        if (header is not null)
        {
            message.Headers.Add("X-Request-Id", header);
        }

        return message;
    }

    [Theory]
    [InlineData(Completions, "cmpl-", false)]
    [InlineData(Completions, "cmpl-", true)]
    [InlineData(Chat, "chatcmpl-", false)]
    [InlineData(Chat, "chatcmpl-", true)]
    public async Task Post_HeaderWithoutRequestId_NamesTheResponseAndComesBack(string path, string prefix, bool stream)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var header = $"ingress-{Guid.NewGuid():N}";

        using var response = await client.SendAsync(Post(path, header, null, stream));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(header, Assert.Single(response.Headers.GetValues("X-Request-Id")));
        var ids = stream
            ? (await Json.ReadEventsAsync(response))[..^1].Select(e => (string?)Json.Parse(e)["id"]).ToList()
            : [(string?)(await Json.ReadAsync(response))["id"]];
        Assert.All(ids, id => Assert.Equal(prefix + header, id));
    }

    [Fact]
    public async Task Post_RequestIdAndHeader_TheBodysWinsAndComesBack()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await client.SendAsync(Post(Completions, "from-header", "from-body"));

        Assert.Equal("cmpl-from-body", (string?)(await Json.ReadAsync(response))["id"]);
        Assert.Equal("from-body", Assert.Single(response.Headers.GetValues("X-Request-Id")));
    }

    [Fact]
    public async Task Post_RequestIdBeyondAscii_ServedWithoutTheHeader()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await client.SendAsync(Post(Chat, "ascii", "caf\u00e9-\ud83d\ude00", stream: true));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("X-Request-Id"));
        var events = await Json.ReadEventsAsync(response);
        Assert.All(events[..^1], e => Assert.Equal("chatcmpl-café-\U0001F600", (string?)Json.Parse(e)["id"]));
    }

    [Fact]
    public async Task Post_Neither_ARandomIdComesBackInTheHeader()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await client.SendAsync(Post(Chat, null, null));

        var header = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        Assert.Matches("^[0-9a-f]{32}$", header);
        Assert.Equal("chatcmpl-" + header, (string?)(await Json.ReadAsync(response))["id"]);
    }

    [Fact]
    public async Task Post_HeaderTooLong_400NamingTheHeader()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await client.SendAsync(Post(Completions, new string('a', 257), null));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json.ReadAsync(response))["error"]!;
        Assert.Equal("X-Request-Id", (string?)error["param"]);
        Assert.Equal("X-Request-Id must be 1 to 256 characters long; it has 257.", (string?)error["message"]);
        Assert.Empty(engine.Requests);
    }
}
