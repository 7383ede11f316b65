using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;
using static MambaServe.Server.Tests.OpenAi.Responses.ResponsesEndpointTests;

namespace MambaServe.Server.Tests.OpenAi.Conversations;

/// <summary>The Conversations API: the object's life, its items (added, listed, read, deleted) and the errors of each route.</summary>
public sealed class ConversationsEndpointTests
{
    private const string Items = """
        [{"type":"message","role":"user","id":"msg_from_the_client","content":"Hello there"},
         {"role":"assistant","content":"Let me look."},
         {"type":"function_call","call_id":"call_1","name":"lookup","arguments":"{\"q\":\"hello\"}"},
         {"type":"function_call_output","call_id":"call_1","output":"42"}]
        """;

    [Fact]
    public async Task Conversation_CreatedReadUpdatedAndDeleted_AnswersAsOpenAiDoes()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        var created = await SendAsync(client, HttpMethod.Post, "/v1/conversations", """{"metadata":{"topic":"demo"}}""");
        string id = (string)created["id"]!;
        Assert.Matches("^conv_[0-9a-f]{48}$", id);
        Assert.Equal(("conversation", "demo"), ((string?)created["object"], (string?)created["metadata"]!["topic"]));
        Assert.InRange((long)created["created_at"]!, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(created.ToJsonString(), (await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{id}")).ToJsonString());

        var updated = await SendAsync(client, HttpMethod.Post, $"/v1/conversations/{id}", """{"metadata":{"topic":"other","lang":"en"}}""");
        Assert.Equal(("other", "en"), ((string?)updated["metadata"]!["topic"], (string?)updated["metadata"]!["lang"]));
        Assert.Equal(updated.ToJsonString(), (await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{id}")).ToJsonString());

        var deleted = await SendAsync(client, HttpMethod.Delete, $"/v1/conversations/{id}");
        Assert.Equal((id, "conversation.deleted", true), ((string?)deleted["id"], (string?)deleted["object"], (bool)deleted["deleted"]!));
        foreach (var (method, path) in new[] { (HttpMethod.Get, ""), (HttpMethod.Delete, ""), (HttpMethod.Get, "/items") })
        {
            using var gone = await client.SendAsync(new HttpRequestMessage(method, $"/v1/conversations/{id}{path}"));
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    [Fact]
    public async Task Items_AddedListedReadAndDeleted_KeepTheirIdsAndOrder()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string id = (string)(await SendAsync(client, HttpMethod.Post, "/v1/conversations", $$"""{"items":{{Items}}}"""))["id"]!;

        var added = await SendAsync(client, HttpMethod.Post, $"/v1/conversations/{id}/items", """{"items":[{"role":"user","content":[{"type":"input_text","text":"Thanks"}]}]}""");
        var listed = (await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{id}/items?order=asc"))["data"]!.AsArray();

        Assert.Equal(
            [("message", "user", "Hello there"), ("message", "assistant", "Let me look."), ("function_call", null, null), ("function_call_output", null, null), ("message", "user", "Thanks")],
            listed.Select(item => ((string?)item!["type"], (string?)item["role"], (string?)item["content"]?[0]!["text"])));
        Assert.Equal("msg_from_the_client", (string?)listed[0]!["id"]);
        Assert.Matches("^fc_[0-9a-f]{48}$", (string)listed[2]!["id"]!);
        Assert.Matches("^fco_[0-9a-f]{48}$", (string)listed[3]!["id"]!);
        Assert.Equal(("list", false), ((string?)added["object"], (bool)added["has_more"]!));
        Assert.Equal(Id(listed[4]), Id(Assert.Single(added["data"]!.AsArray())));
        Assert.Equal(listed.Select(Id).Reverse(), (await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{id}/items"))["data"]!.AsArray().Select(Id));
        var page = await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{id}/items?order=asc&limit=2&after={Id(listed[1])}");
        Assert.Equal([Id(listed[2]), Id(listed[3])], page["data"]!.AsArray().Select(Id));
        Assert.True((bool)page["has_more"]!);
        Assert.Equal(listed[2]!.ToJsonString(), (await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{id}/items/{Id(listed[2])}")).ToJsonString());

        // The call goes from inside the assistant message that made it; the message's text goes and the message with it.
        var afterCall = await SendAsync(client, HttpMethod.Delete, $"/v1/conversations/{id}/items/{Id(listed[2])}");
        Assert.Equal(("conversation", id), ((string?)afterCall["object"], (string?)afterCall["id"]));
        await SendAsync(client, HttpMethod.Delete, $"/v1/conversations/{id}/items/{Id(listed[1])}");
        var left = (await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{id}/items?order=asc"))["data"]!.AsArray();
        Assert.Equal([Id(listed[0]), Id(listed[3]), Id(listed[4])], left.Select(Id));
        using var gone = await client.GetAsync($"/v1/conversations/{id}/items/{Id(listed[2])}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var goneAgain = await client.DeleteAsync($"/v1/conversations/{id}/items/{Id(listed[1])}");
        Assert.Equal(HttpStatusCode.NotFound, goneAgain.StatusCode);
    }

    [Theory]
    [InlineData("POST", "/v1/conversations", """{"items":"Hello"}""", "items")]
    [InlineData("POST", "/v1/conversations", """{"items":[{"role":"user","content":[{"type":"input_image","image_url":"x"}]}]}""", "items[0].content[0].type")]
    [InlineData("POST", "/v1/conversations", """{"items":[{"type":"function_call_output","call_id":"c","output":"x","id":"a"},{"role":"user","content":"b","id":"a"}]}""", "items")]
    [InlineData("POST", "/v1/conversations", """{"metadata":{"topic":1}}""", "metadata.topic")]
    [InlineData("POST", "/v1/conversations", """{"title":"mine"}""", "title")]
    [InlineData("POST", "{conv}/items", """{"items":[]}""", "items")]
    [InlineData("POST", "{conv}/items", """{}""", "items")]
    [InlineData("POST", "{conv}/items", """{"items":[{"role":"user","content":"again","id":"msg_first"}]}""", "items")]
    [InlineData("POST", "{conv}/items?include=message.output_text.logprobs", """{"items":[{"role":"user","content":"x"}]}""", "include")]
    [InlineData("GET", "{conv}/items?limit=0", null, "limit")]
    [InlineData("GET", "{conv}/items?after=msg_none", null, "after")]
    [InlineData("POST", "{conv}", """{"metadata":{"a":"b"},"items":[]}""", "items")]
    public async Task BadRequest_Is400NamingTheParameter_AndChangesNothing(string method, string path, string? body, string param)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string conv = "/v1/conversations/" + (string)(await SendAsync(client, HttpMethod.Post, "/v1/conversations",
            """{"items":[{"role":"user","content":"first","id":"msg_first"}],"metadata":{"k":"v"}}"""))["id"]!;
        var before = await SendAsync(client, HttpMethod.Get, $"{conv}/items");

        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{conv}", conv, StringComparison.Ordinal));
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);

        var error = await Json.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, error.ToJsonString());
        Assert.Equal(param, (string?)error["error"]!["param"]);
        Assert.Equal(before.ToJsonString(), (await SendAsync(client, HttpMethod.Get, $"{conv}/items")).ToJsonString());
        Assert.Equal("v", (string?)(await SendAsync(client, HttpMethod.Get, conv))["metadata"]!["k"]);
    }

    [Fact]
    public async Task MoreThanTwentyItems_AreRefused()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var items = Enumerable.Range(0, 21).Select(i => new { role = "user", content = $"item {i}" }).ToArray();

        using var response = await Json.PostAsync(client, "/v1/conversations", new { items });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("at most 20", (string?)(await Json.ReadAsync(response))["error"]!["message"]);
    }

    [Fact]
    public async Task Items_PastSixteenMegabytes_AreRefused_AndDeletingItemsMakesRoomAgain()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string id = (string)(await SendAsync(client, HttpMethod.Post, "/v1/conversations", "{}"))["id"]!;
        string item = JsonSerializer.Serialize(new { items = new[] { new { role = "user", content = new string('x', 1 << 20) } } });

        int added = 0;
        HttpStatusCode status;
        do
        {
            using var response = await Json.PostAsync(client, $"/v1/conversations/{id}/items", item);
            status = response.StatusCode;
            if (status == HttpStatusCode.BadRequest)
            {
                var error = (await Json.ReadAsync(response))["error"]!;
                Assert.Equal(("conversation_full", "items"), ((string?)error["code"], (string?)error["param"]));
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, status);
                added++;
            }
        }
        while (status == HttpStatusCode.OK && added < 40);

        Assert.Equal(15, added); // 16 items of 1 MiB and their JSON are over 16 MiB
        var items = (await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{id}/items?limit=100"))["data"]!.AsArray();
        Assert.Equal(15, items.Count);
        await SendAsync(client, HttpMethod.Delete, $"/v1/conversations/{id}/items/{Id(items[0])}");
        using var again = await Json.PostAsync(client, $"/v1/conversations/{id}/items", item);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Conversation_OfAnotherKey_IsNotFound_AndResponseRoutesDoNotReachIt()
    {
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:ApiKeys:0"] = "sk-alice", ["MambaServe:Server:ApiKeys:1"] = "sk-bob" };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        var alice = await Authorized(factory, "sk-alice");
        var bob = await Authorized(factory, "sk-bob");
        string id = (string)(await SendAsync(alice, HttpMethod.Post, "/v1/conversations", """{"items":[{"role":"user","content":"mine"}]}"""))["id"]!;

        foreach (var (method, path) in new[] { ("GET", ""), ("GET", "/items"), ("DELETE", ""), ("POST", "/items") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), $"/v1/conversations/{id}{path}");
            request.Content = method == "POST" ? new StringContent("""{"items":[{"role":"user","content":"x"}]}""", System.Text.Encoding.UTF8, "application/json") : null;
            using var response = await bob.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using var asResponse = await alice.GetAsync($"/v1/responses/{id}");
        using var deleteAsResponse = await alice.DeleteAsync($"/v1/responses/{id}");
        using var bobResponse = await Json.PostAsync(bob, "/v1/responses", new { input = "Hi", conversation = id, max_output_tokens = 1 });
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (asResponse.StatusCode, deleteAsResponse.StatusCode));
        Assert.Equal(HttpStatusCode.NotFound, bobResponse.StatusCode);
        Assert.Equal("conversation", (string?)(await Json.ReadAsync(bobResponse))["error"]!["param"]);
        Assert.Single((await SendAsync(alice, HttpMethod.Get, $"/v1/conversations/{id}/items"))["data"]!.AsArray());
    }

    internal static async Task<JsonNode> SendAsync(HttpClient client, HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        var json = await Json.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: {(int)response.StatusCode} {json.ToJsonString()}");
        return json;
    }

    internal static string? Id(JsonNode? item) => (string?)item!["id"];
}
