using System.Net;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;
using MambaServe.Server.Tests.OpenAi.Chat;
using static MambaServe.Server.Tests.OpenAi.Conversations.ConversationsEndpointTests;
using static MambaServe.Server.Tests.OpenAi.Responses.ResponsesEndpointTests;

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>
/// POST /v1/responses/input_tokens: the count equals the <c>usage.input_tokens</c> the same request reports when it is
/// sent (alone, after a previous response, in a conversation, with tools shown or not), nothing runs and nothing is
/// stored, and bad requests are refused as the create route refuses them.
/// </summary>
public sealed class ResponsesInputTokensTests
{
    private const string Path = "/v1/responses/input_tokens";

    [Fact]
    public async Task Count_EqualsTheUsageOfTheSameRequest_AndRunsNothing()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string input = $"Tell me about case {Random.Shared.Next(1000)}.";

        var count = await CountAsync(client, new { model = "fake-model", input, instructions = "Be brief." });

        Assert.Equal("response.input_tokens", (string?)count["object"]);
        Assert.Empty(engine.Requests);
        Assert.Equal(DemoTokenizer.Instance.Encode($"System: Be brief.\nUser: {input}\nAssistant:").Count, (int)count["input_tokens"]!);
        var created = await CreateAsync(client, new { input, instructions = "Be brief.", max_output_tokens = 3 });
        Assert.Equal((int)created["usage"]!["input_tokens"]!, (int)count["input_tokens"]!);
    }

    [Fact]
    public async Task Count_AfterAPreviousResponse_HoldsItsContext_AndLeavesItsStateForTheNextTurn()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var first = await CreateAsync(client, new { input = "Hello there", max_output_tokens = 4 });
        string previous = (string)first["id"]!;

        var count = await CountAsync(client, new { input = "And then?", previous_response_id = previous });
        var alone = await CountAsync(client, new { previous_response_id = previous });

        var second = await CreateAsync(client, new { input = "And then?", previous_response_id = previous, max_output_tokens = 2 });
        Assert.NotNull(engine.Requests.Last().Start);  // counting twice did not use up or drop the saved state
        Assert.Equal((int)second["usage"]!["input_tokens"]!, (int)count["input_tokens"]!);
        // The saved state holds the first prompt's tokens and the 4 drawn ones as they were (random ids, whose text
        // may tokenize otherwise if encoded again); only the text after them is encoded for this turn.
        int context = DemoTokenizer.Instance.Encode("User: Hello there\nAssistant:").Count + 4;
        Assert.Equal(context + DemoTokenizer.Instance.Encode("\nAssistant:").Count, (int)alone["input_tokens"]!);
    }

    [Fact]
    public async Task Count_InAConversation_EqualsTheTurnsUsage_AndAddsNoItem()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string conv = (string)(await SendAsync(client, HttpMethod.Post, "/v1/conversations", """{"items":[{"role":"user","content":"Hello there"}]}"""))["id"]!;
        await CreateAsync(client, new { input = "Go on.", conversation = conv, max_output_tokens = 3 });

        var count = await CountAsync(client, new { input = "Why?", conversation = new { id = conv } });

        Assert.Equal(3, (await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{conv}/items"))["data"]!.AsArray().Count);
        var turn = await CreateAsync(client, new { input = "Why?", conversation = conv, max_output_tokens = 2 });
        Assert.True((int)turn["usage"]!["input_tokens_details"]!["cached_tokens"]! > 0);
        Assert.Equal((int)turn["usage"]!["input_tokens"]!, (int)count["input_tokens"]!);
    }

    [Fact]
    public async Task Count_ShowsTheToolsOnlyWhenTheModelMayCallOne()
    {
        var engine = AutoToolChoiceTests.Scripted(AutoToolChoiceTests.TwoCalls);
        await using var factory = ResponsesFunctionToolTests.WithTemplate(engine);
        var client = await factory.CreateReadyClientAsync();
        var tools = new JsonArray(new JsonObject { ["type"] = "function", ["name"] = "get_time" });
        var body = new JsonObject { ["input"] = "What time is it?", ["tools"] = tools };

        int withTools = (int)(await CountAsync(client, body))["input_tokens"]!;
        body["tool_choice"] = "none";
        int none = (int)(await CountAsync(client, body))["input_tokens"]!;

        Assert.Equal(DemoTokenizer.Instance.Encode("user: What time is it?assistant:").Count, none);
        Assert.Equal(DemoTokenizer.Instance.Encode("TOOLS get_time\nuser: What time is it?assistant:").Count, withTools);
        body["max_output_tokens"] = 2;
        body.Remove("tool_choice");
        Assert.Equal(withTools, (int)(await CreateAsync(client, body))["usage"]!["input_tokens"]!);
    }

    [Theory]
    [InlineData("""{"input":"Hi","model":"other-model"}""", 404, "model")]
    [InlineData("""{"input":"Hi","previous_response_id":"resp_0123"}""", 400, "previous_response_id")]
    [InlineData("""{"input":"Hi","conversation":"conv_0123"}""", 404, "conversation")]
    [InlineData("""{"input":[{"role":"robot","content":"Hi"}]}""", 400, "input[0].role")]
    [InlineData("""{"input":[]}""", 400, "input")]
    [InlineData("""{"input":"Hi","reasoning":{"effort":"high"}}""", 400, "reasoning")]
    [InlineData("""{"input":"Hi","tools":[{"type":"web_search"}]}""", 400, "tools[0].type")]
    [InlineData("""{"input":"Hi","text":{"format":{"type":"json_schema","name":"x","schema":{"type":"object","properties":{"a":{"type":"frobnicate"}}}}}}""", 400, "text.format.schema")]
    public async Task BadRequest_IsRefusedAsTheCreateRouteRefusesIt(string body, int status, string param)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        foreach (var path in new[] { Path, "/v1/responses" })
        {
            using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(path, content);
            var error = await Json.ReadAsync(response);
            Assert.True((int)response.StatusCode == status, $"{path}: {(int)response.StatusCode} {error.ToJsonString()}");
            Assert.Equal(param, (string?)error["error"]!["param"]);
        }

        Assert.Empty(engine.Requests);
    }

    private static async Task<JsonNode> CountAsync(HttpClient client, object body)
    {
        using var response = await Json.PostAsync(client, Path, body);
        var json = await Json.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
        return json;
    }
}
