using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using MambaServe.Engine.Conversations;
using MambaServe.Server.OpenAi;
using MambaServe.Server.OpenAi.Responses;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>GET /v1/responses/{id}/input_items: what a stored response was generated from, its ids, its pages, and bad queries.</summary>
public sealed class ResponsesInputItemsTests
{
    private const string FirstInput = """
        [{"role":"developer","content":"Answer in French."},
         {"type":"message","role":"user","id":"msg_from_the_client","content":[{"type":"input_text","text":"Hello"},{"type":"input_text","text":" there"}]},
         {"type":"function_call","id":"fc_from_the_client","call_id":"call_1","name":"lookup","arguments":"{\"q\":\"hello\"}"},
         {"type":"function_call_output","call_id":"call_1","output":"42"}]
        """;

    [Fact]
    public async Task InputItems_OfAContinuation_ListTheWholeConversationByTheIdsItsItemsFirstHad()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var first = await CreateAsync(client, $$"""{"input":{{FirstInput}},"instructions":"Be brief.","max_output_tokens":3}""");
        var second = await CreateAsync(client, $$"""{"input":"And then?","instructions":"Be brief.","max_output_tokens":2,"previous_response_id":"{{first["id"]}}"}""");

        var firstItems = (await ListAsync(client, (string)first["id"]!, "?order=asc"))["data"]!.AsArray();
        var page = await ListAsync(client, (string)second["id"]!, "?order=asc");
        var items = page["data"]!.AsArray();

        Assert.Equal(
            [("message", "developer"), ("message", "user"), ("function_call", null), ("function_call_output", null), ("message", "assistant"), ("message", "user")],
            items.Select(item => ((string?)item!["type"], (string?)item["role"])));
        Assert.Equal(["Answer in French.", "Hello there", null, null, TextOf(first), "And then?"], items.Select(item => (string?)item!["content"]?[0]!["text"]));
        Assert.Equal(["input_text", "input_text", null, null, "output_text", "input_text"], items.Select(item => (string?)item!["content"]?[0]!["type"]));
        Assert.Equal(("msg_from_the_client", "fc_from_the_client"), ((string?)items[1]!["id"], (string?)items[2]!["id"]));
        Assert.Equal(("call_1", "lookup", """{"q":"hello"}"""), ((string?)items[2]!["call_id"], (string?)items[2]!["name"], (string?)items[2]!["arguments"]));
        Assert.Equal(("call_1", "42"), ((string?)items[3]!["call_id"], (string?)items[3]!["output"]));
        Assert.Equal((string?)first["output"]![0]!["id"], (string?)items[4]!["id"]);
        Assert.Equal(firstItems.Select(Id), items.Take(4).Select(Id));
        Assert.Equal(items.Count, items.Select(Id).Distinct().Count());
        Assert.All(items, item => Assert.Equal("completed", (string?)item!["status"]));
        Assert.Equal(("list", false, Id(items[0]), Id(items[^1])), ((string?)page["object"], (bool)page["has_more"]!, (string?)page["first_id"], (string?)page["last_id"]));

        var newestFirst = (await ListAsync(client, (string)second["id"]!, ""))["data"]!.AsArray();
        Assert.Equal(items.Select(Id).Reverse(), newestFirst.Select(Id));
    }

    [Theory]
    [InlineData("asc")]
    [InlineData("desc")]
    public async Task InputItems_PagedByAfter_GiveTheWholeListOnce_AndBeforePagesBack(string order)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var messages = Enumerable.Range(0, 7).Select(i => new { role = "user", content = $"message {i}" }).ToArray();
        string id = (string)(await CreateAsync(client, JsonSerializer.Serialize(new { input = messages, max_output_tokens = 1 })))["id"]!;
        var whole = (await ListAsync(client, id, $"?order={order}&limit=100"))["data"]!.AsArray().Select(Id).ToList();

        var pages = new List<JsonNode>();
        string query = $"?order={order}&limit=3";
        do
        {
            pages.Add(await ListAsync(client, id, query + (pages.Count > 0 ? $"&after={pages[^1]["last_id"]}" : "")));
        }
        while ((bool)pages[^1]["has_more"]!);

        Assert.Equal(7, whole.Count);
        Assert.Equal(order == "asc" ? "message 0" : "message 6", (string?)(await ListAsync(client, id, $"?order={order}&limit=1"))["data"]![0]!["content"]![0]!["text"]);
        Assert.Equal([3, 3, 1], pages.Select(p => p["data"]!.AsArray().Count));
        Assert.Equal(whole, pages.SelectMany(p => p["data"]!.AsArray().Select(Id)));
        var back = await ListAsync(client, id, $"{query}&before={pages[2]["first_id"]}");
        Assert.Equal(pages[1]["data"]!.AsArray().Select(Id), back["data"]!.AsArray().Select(Id));
        Assert.True((bool)back["has_more"]!);
        var between = await ListAsync(client, id, $"?order={order}&after={whole[1]}&before={whole[5]}");
        Assert.Equal(whole[2..5], between["data"]!.AsArray().Select(Id));
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=101", "limit")]
    [InlineData("?limit=-1", "limit")]
    [InlineData("?limit=two", "limit")]
    [InlineData("?limit=2&limit=3", "limit")]
    [InlineData("?order=newest", "order")]
    [InlineData("?after=msg_none", "after")]
    [InlineData("?before=msg_none", "before")]
    [InlineData("?include=message.output_text.logprobs", "include")]
    public async Task InputItems_BadQuery_Is400NamingTheParameter(string query, string param)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string id = (string)(await CreateAsync(client, """{"input":"Hi","max_output_tokens":1}"""))["id"]!;

        using var response = await client.GetAsync($"/v1/responses/{id}/input_items{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, (string?)(await Json.ReadAsync(response))["error"]!["param"]);
    }

    [Fact]
    public async Task InputItems_OfAResponseNotStoredOrDeleted_Are404()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string unstored = (string)(await CreateAsync(client, """{"input":"Hi","max_output_tokens":1,"store":false}"""))["id"]!;
        string deleted = (string)(await CreateAsync(client, """{"input":"Hi","max_output_tokens":1}"""))["id"]!;
        (await client.DeleteAsync($"/v1/responses/{deleted}")).EnsureSuccessStatusCode();

        foreach (var id in new[] { unstored, deleted, "resp_nope" })
        {
            using var response = await client.GetAsync($"/v1/responses/{id}/input_items");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    /// <summary>A document stored before items had ids lists ids made from the response and the position: the same on every read.</summary>
    [Fact]
    public void InputItems_OfADocumentStoredWithoutIds_HaveIdsThatStayTheSame()
    {
        IReadOnlyList<ConversationMessage> messages =
        [
            new("user", "What is 6 times 7?"),
            new("assistant", "", [new ConversationToolCall("call_a", "multiply", "{}"), new ConversationToolCall("call_b", "multiply", "{}")]),
            new("tool", "42", ToolCallId: "call_a"),
            new("tool", "42", ToolCallId: "call_b"),
            new("assistant", "It is 42."),
        ];
        var stored = new StoredConversation(JsonSerializer.SerializeToElement(new { id = "resp_x" }), messages, "text", null, 0);
        var again = StoredConversation.Parse(new StoredResponse("resp_x", "owner", DateTimeOffset.UtcNow, stored.ToBytes()));

        var items = ResponseInputItems.Of(stored, "resp_x");

        Assert.Equal(["message", "function_call", "function_call", "function_call_output", "function_call_output"],
            items.Select(item => JsonSerializer.SerializeToNode(item, OpenAiJson.Options)!["type"]!.GetValue<string>()));
        Assert.Equal(items.Select(item => item.Id), ResponseInputItems.Of(again, "resp_x").Select(item => item.Id));
        Assert.Equal(items.Count, items.Select(item => item.Id).Distinct().Count());
        Assert.All(items, item => Assert.Matches("^(msg|fc|fco)_[0-9a-f]{48}$", item.Id));
        Assert.NotEqual(items.Select(item => item.Id), ResponseInputItems.Of(stored, "resp_y").Select(item => item.Id));
    }

    [Fact]
    public void InputItems_OfAGrpcGenerateResponse_Are400()
    {
        var stored = new StoredConversation(JsonSerializer.SerializeToElement(new { id = "resp_g" }), null, "raw text", null, 0);

        var error = Assert.Throws<ApiException>(() => ResponseInputItems.Of(stored, "resp_g"));

        Assert.Equal(400, error.Status);
        Assert.Contains("gRPC", error.Message, StringComparison.Ordinal);
    }

    private static string? Id(JsonNode? item) => (string?)item!["id"];

    private static string TextOf(JsonNode response) => (string)response["output"]![0]!["content"]![0]!["text"]!;

    private static async Task<JsonNode> CreateAsync(HttpClient client, string body) => await ResponsesEndpointTests.CreateAsync(client, JsonNode.Parse(body)!);

    private static async Task<JsonNode> ListAsync(HttpClient client, string id, string query)
    {
        using var response = await client.GetAsync($"/v1/responses/{id}/input_items{query}");
        var json = await Json.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
        return json;
    }
}
