using System.Net;
using MambaServe.Server.Tests.Infrastructure;
using MambaServe.Server.Tests.OpenAi.Responses;
using static MambaServe.Server.Tests.OpenAi.Conversations.ConversationsEndpointTests;
using static MambaServe.Server.Tests.OpenAi.Responses.ResponsesEndpointTests;

namespace MambaServe.Server.Tests.OpenAi.Conversations;

/// <summary>Responses created with <c>conversation</c>: what they prefill, what they append, and the requests they refuse.</summary>
public sealed class ResponsesInConversationTests
{
    [Fact]
    public async Task Response_InAConversation_ReadsItsItems_AppendsItsTurn_AndTheNextStartsFromItsState()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string conv = (string)(await SendAsync(client, HttpMethod.Post, "/v1/conversations", """{"items":[{"role":"user","content":"Hello there"}]}"""))["id"]!;

        var first = await CreateAsync(client, new { input = "And then?", conversation = conv, max_output_tokens = 4, instructions = "Be brief." });

        Assert.Equal(DemoTokenizer.Instance.Encode("System: Be brief.\nUser: Hello there\nUser: And then?\nAssistant:"), engine.Requests.Last().PromptTokens);
        Assert.Null(engine.Requests.Last().Start);
        Assert.Equal(conv, (string?)first["conversation"]!["id"]);
        var items = (await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{conv}/items?order=asc"))["data"]!.AsArray();
        Assert.Equal(["Hello there", "And then?", engine.TextOf(engine.TokensOf(0, 4))], items.Select(item => (string?)item!["content"]![0]!["text"]));
        Assert.Equal(Id(first["output"]![0]), Id(items[2]));

        // An item added through the items API lands after the turn: the next response prefills it and its own input on the first's state.
        await SendAsync(client, HttpMethod.Post, $"/v1/conversations/{conv}/items", """{"items":[{"role":"user","content":"Go on."}]}""");
        var second = await CreateAsync(client, new { input = "Why?", conversation = new { id = conv }, max_output_tokens = 3, instructions = "Be brief." });

        var request = engine.Requests.Last();
        Assert.NotNull(request.Start);
        Assert.Equal([engine.TokensOf(0, 4)[^1], .. DemoTokenizer.Instance.Encode("\nUser: Go on.\nUser: Why?\nAssistant:")], request.PromptTokens);
        int firstContext = (int)first["usage"]!["input_tokens"]! + 4 - 1;
        Assert.Equal(firstContext, (int)second["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        var all = (await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{conv}/items?order=asc"))["data"]!.AsArray();
        Assert.Equal(["Hello there", "And then?", "Go on.", "Why?"], all.Where(item => (string?)item!["role"] == "user").Select(item => (string?)item!["content"]![0]!["text"]));
        Assert.Equal(Id(second["output"]![0]), Id(all[^1]));
        var inputItems = (await SendAsync(client, HttpMethod.Get, $"/v1/responses/{second["id"]}/input_items?order=asc&limit=100"))["data"]!.AsArray();
        Assert.Equal(all.Take(5).Select(Id), inputItems.Select(Id));
    }

    [Fact]
    public async Task DeletedItem_IsNotInTheNextPrompt_WhichPrefillsFromZero()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string conv = (string)(await SendAsync(client, HttpMethod.Post, "/v1/conversations", """{"items":[{"role":"user","content":"Forget me","id":"msg_forget"}]}"""))["id"]!;
        var first = await CreateAsync(client, new { input = "Hello", conversation = conv, max_output_tokens = 3 });
        await SendAsync(client, HttpMethod.Delete, $"/v1/conversations/{conv}/items/msg_forget");

        var second = await CreateAsync(client, new { input = "More.", conversation = conv, max_output_tokens = 2 });

        var request = engine.Requests.Last();
        Assert.Null(request.Start);
        string answer = engine.TextOf(engine.TokensOf(0, 3));
        Assert.Equal(DemoTokenizer.Instance.Encode($"User: Hello\nAssistant:{answer}\nUser: More.\nAssistant:"), request.PromptTokens);
        Assert.Equal(0, (int)second["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        Assert.NotEqual((string?)first["id"], (string?)second["id"]);
    }

    [Fact]
    public async Task UnstoredResponse_StillAppendsItsTurn_AndTheNextStartsFromTheLastStoredState()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string conv = (string)(await SendAsync(client, HttpMethod.Post, "/v1/conversations", "{}"))["id"]!;
        var stored = await CreateAsync(client, new { input = "One", conversation = conv, max_output_tokens = 2 });
        var unstored = await CreateAsync(client, new { input = "Two", conversation = conv, max_output_tokens = 2, store = false });

        var third = await CreateAsync(client, new { input = "Three", conversation = conv, max_output_tokens = 2 });

        Assert.False((bool)unstored["store"]!);
        Assert.Equal(4, (await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{conv}/items"))["data"]!.AsArray().Count - 2);
        var request = engine.Requests.Last();
        Assert.NotNull(request.Start);
        int storedContext = (int)stored["usage"]!["input_tokens"]! + 2 - 1;
        Assert.Equal(storedContext, (int)third["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        string secondAnswer = engine.TextOf(engine.TokensOf(0, 2));
        Assert.EndsWith(DemoTokenizer.Instance.Decode(DemoTokenizer.Instance.Encode($"\nUser: Two\nAssistant:{secondAnswer}\nUser: Three\nAssistant:")),
            DemoTokenizer.Instance.Decode([.. request.PromptTokens]));
    }

    [Fact]
    public async Task BackgroundResponse_InAConversation_AppendsWhenItEnds_AndACancelledOneAppendsNothing()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string conv = (string)(await SendAsync(client, HttpMethod.Post, "/v1/conversations", """{"items":[{"role":"user","content":"Hello there"}]}"""))["id"]!;

        string cancelled = (string)(await CreateAsync(client, new { input = "Stop.", conversation = conv, max_output_tokens = 8, background = true }))["id"]!;
        await engine.FirstUpdateSent.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await ResponsesBackgroundTests.PollAsync(client, cancelled, status => status == "in_progress");
        Assert.Single((await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{conv}/items"))["data"]!.AsArray());
        (await client.PostAsync($"/v1/responses/{cancelled}/cancel", null, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        Assert.Single((await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{conv}/items"))["data"]!.AsArray());

        engine.ReleaseAfterFirst();
        string id = (string)(await CreateAsync(client, new { input = "And then?", conversation = conv, max_output_tokens = 4, background = true }))["id"]!;
        var done = await ResponsesBackgroundTests.PollAsync(client, id, status => status is not ("queued" or "in_progress"));

        Assert.Equal(conv, (string?)done["conversation"]!["id"]);
        var items = (await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{conv}/items?order=asc"))["data"]!.AsArray();
        Assert.Equal(["Hello there", "And then?", (string?)done["output"]![0]!["content"]![0]!["text"]], items.Select(item => (string?)item!["content"]![0]!["text"]));
    }

    [Fact]
    public async Task ConcurrentResponsesAndItems_InOneConversation_AllLand()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string conv = (string)(await SendAsync(client, HttpMethod.Post, "/v1/conversations", "{}"))["id"]!;

        var responses = Enumerable.Range(0, 6).Select(i => CreateAsync(client, new { input = $"response {i}", conversation = conv, max_output_tokens = 2 }));
        var appends = Enumerable.Range(0, 10).Select(i => SendAsync(client, HttpMethod.Post, $"/v1/conversations/{conv}/items", $$"""{"items":[{"role":"user","content":"item {{i}}"}]}"""));
        await Task.WhenAll([.. responses, .. appends]);

        var items = (await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{conv}/items?limit=100&order=asc"))["data"]!.AsArray();
        Assert.Equal(6 * 2 + 10, items.Count);
        Assert.Equal(items.Count, items.Select(Id).Distinct().Count());
        var users = items.Where(item => (string?)item!["role"] == "user").Select(item => (string)item!["content"]![0]!["text"]!).ToList();
        string[] sent = [.. Enumerable.Range(0, 6).Select(i => $"response {i}"), .. Enumerable.Range(0, 10).Select(i => $"item {i}")];
        Assert.Equal(sent.Order(StringComparer.Ordinal), users.Order(StringComparer.Ordinal));
        // Each response's reply follows its own input: a turn is appended whole.
        for (int i = 0; i < items.Count; i++)
        {
            if ((string?)items[i]!["role"] == "assistant")
            {
                Assert.StartsWith("response ", (string?)items[i - 1]!["content"]![0]!["text"], StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("""{"input":"Hi","conversation":"{conv}","previous_response_id":"resp_x"}""", HttpStatusCode.BadRequest, "conversation")]
    [InlineData("""{"input":"Hi","conversation":42}""", HttpStatusCode.BadRequest, "conversation")]
    [InlineData("""{"input":"Hi","conversation":{"id":"{conv}","title":"x"}}""", HttpStatusCode.BadRequest, "conversation")]
    [InlineData("""{"input":"Hi","conversation":""}""", HttpStatusCode.BadRequest, "conversation")]
    [InlineData("""{"input":"Hi","conversation":"conv_nope"}""", HttpStatusCode.NotFound, "conversation")]
    [InlineData("""{"input":[{"role":"user","content":"Hi","id":"msg_first"}],"conversation":"{conv}"}""", HttpStatusCode.BadRequest, "input")]
    [InlineData("""{"input":[{"type":"function_call_output","call_id":"call_none","output":"1"}],"conversation":"{conv}"}""", HttpStatusCode.BadRequest, "input")]
    public async Task BadConversationRequest_IsRefused_AndTheConversationKeepsItsItems(string body, HttpStatusCode status, string param)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string conv = (string)(await SendAsync(client, HttpMethod.Post, "/v1/conversations", """{"items":[{"role":"user","content":"first","id":"msg_first"}]}"""))["id"]!;

        using var response = await Json.PostAsync(client, "/v1/responses", body.Replace("{conv}", conv, StringComparison.Ordinal));

        var error = await Json.ReadAsync(response);
        Assert.True(response.StatusCode == status, error.ToJsonString());
        Assert.Equal(param, (string?)error["error"]!["param"]);
        Assert.Empty(engine.Requests);
        Assert.Single((await SendAsync(client, HttpMethod.Get, $"/v1/conversations/{conv}/items"))["data"]!.AsArray());
    }
}
