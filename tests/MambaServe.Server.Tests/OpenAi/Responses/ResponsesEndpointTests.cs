using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using MambaServe.Engine.Generation;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>POST/GET/DELETE /v1/responses against the scripted engine: wire shape, continuation, ownership, errors.</summary>
public sealed class ResponsesEndpointTests
{
    [Fact]
    public async Task Create_StringInput_ReturnsTheResponseObject()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        int maxTokens = Random.Shared.Next(2, 9);

        using var response = await Json.PostAsync(client, "/v1/responses",
            new { model = "fake-model", input = "Hello there", max_output_tokens = maxTokens, metadata = new { topic = "test" } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json.ReadAsync(response);
        Assert.Matches("^resp_[0-9a-f]{48}$", (string)body["id"]!);
        Assert.Equal("response", (string)body["object"]!);
        Assert.Equal("incomplete", (string)body["status"]!);
        Assert.Equal("max_output_tokens", (string)body["incomplete_details"]!["reason"]!);
        var message = body["output"]![0]!;
        Assert.Equal(("message", "assistant"), ((string)message["type"]!, (string)message["role"]!));
        Assert.Equal("output_text", (string)message["content"]![0]!["type"]!);
        Assert.Equal(engine.TextOf(engine.TokensOf(0, maxTokens)), (string)message["content"]![0]!["text"]!);
        var request = Assert.Single(engine.Requests);
        Assert.Equal(DemoTokenizer.Instance.Encode("User: Hello there\nAssistant:"), request.PromptTokens);
        Assert.NotNull(request.SaveState);
        var usage = body["usage"]!;
        Assert.Equal(request.PromptTokens.Count, (int)usage["input_tokens"]!);
        Assert.Equal(0, (int)usage["input_tokens_details"]!["cached_tokens"]!);
        Assert.Equal(maxTokens, (int)usage["output_tokens"]!);
        Assert.Equal(request.PromptTokens.Count + maxTokens, (int)usage["total_tokens"]!);
        Assert.Equal("test", (string)body["metadata"]!["topic"]!);
        Assert.True((bool)body["store"]!);
        Assert.Null(body["previous_response_id"]);
    }

    [Fact]
    public async Task Create_PreviousResponseId_PrefillsThePendingTokenAndTheNewTurnOnly()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var first = await CreateAsync(client, new { input = "Hello there", max_output_tokens = 4, instructions = "Be brief." });
        var firstTokens = engine.TokensOf(0, 4);

        var second = await CreateAsync(client, new { input = "And then?", max_output_tokens = 3, instructions = "Be brief.", previous_response_id = (string)first["id"]! });

        var request = engine.Requests.Last();
        Assert.NotNull(request.Start);
        int[] expected = [firstTokens[^1], .. DemoTokenizer.Instance.Encode("\nUser: And then?\nAssistant:")];
        Assert.Equal(expected, request.PromptTokens);
        int firstContext = (int)first["usage"]!["input_tokens"]! + 4 - 1;
        Assert.Equal(firstContext, (int)second["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        Assert.Equal(firstContext + expected.Length, (int)second["usage"]!["input_tokens"]!);
        Assert.Equal((string)first["id"]!, (string)second["previous_response_id"]!);
    }

    [Fact]
    public async Task Create_ChangedInstructions_PrefillsTheWholeConversationWithoutCache()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var first = await CreateAsync(client, new { input = "Hello there", max_output_tokens = 3, instructions = "Be brief." });
        string firstText = engine.TextOf(engine.TokensOf(0, 3));

        var second = await CreateAsync(client, new { input = "More.", max_output_tokens = 3, instructions = "Be long.", previous_response_id = (string)first["id"]! });

        var request = engine.Requests.Last();
        Assert.Null(request.Start);
        var separator = firstText.Length > 0 && char.IsWhiteSpace(firstText[0]) ? "" : " ";
        var whole = $"System: Be long.\nUser: Hello there\nAssistant:{separator}{firstText}\nUser: More.\nAssistant:";
        Assert.Equal(DemoTokenizer.Instance.Encode(whole), request.PromptTokens);
        Assert.Equal(0, (int)second["usage"]!["input_tokens_details"]!["cached_tokens"]!);
    }

    [Fact]
    public async Task Create_PreviousAnswerStartingWithALetter_PrefillsTheWholeConversation()
    {
        var letters = Enumerable.Range(300, 7700).Where(id => DemoTokenizer.Instance.Decode([id]) is { Length: > 0 } text && char.IsLetter(text[0])).ToArray();
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = [.. Enumerable.Range(0, 4).Select(_ => letters[Random.Shared.Next(letters.Length)])] };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var first = await CreateAsync(client, new { input = "Hello there", max_output_tokens = 4 });

        var second = await CreateAsync(client, new { input = "More.", max_output_tokens = 2, previous_response_id = (string)first["id"]! });

        // The template renders "Assistant: abc", but the state holds "Assistant:abc": it cannot be continued.
        var request = engine.Requests.Last();
        Assert.Null(request.Start);
        string whole = $"User: Hello there\nAssistant: {engine.TextOf(engine.TokensOf(0, 4))}\nUser: More.\nAssistant:";
        Assert.Equal(DemoTokenizer.Instance.Encode(whole), request.PromptTokens);
        Assert.Equal(0, (int)second["usage"]!["input_tokens_details"]!["cached_tokens"]!);
    }

    /// <summary>
    /// Found by a soak on the demo model: a long conversation continued by previous_response_id failed with a 400 at the
    /// turns whose previous answer began with a letter, once the re-rendered history passed MaxModelLen, and without
    /// max_output_tokens such a turn would have had a budget of one token. The history this server re-prefills on its
    /// own does not count against the prompt limit; the new input does.
    /// </summary>
    [Fact]
    public async Task Create_RePrefilledHistoryBeyondMaxModelLen_IsServed_AndOnlyTheNewInputCounts()
    {
        var letters = Enumerable.Range(300, 7700).Where(id => DemoTokenizer.Instance.Decode([id]) is { Length: > 0 } text && char.IsLetter(text[0])).ToArray();
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = [.. Enumerable.Range(0, 4).Select(_ => letters[Random.Shared.Next(letters.Length)])] };
        var settings = new Dictionary<string, string?> { ["MambaServe:Model:MaxModelLen"] = "48" };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance, settings: settings);
        var client = await factory.CreateReadyClientAsync();
        // A first prompt just under the limit (44-48 tokens), so that the history re-rendered with its 4-token answer and
        // the next turn passes it by several tokens however the answer's tokens merge, while the next turn alone is short.
        string longInput = "The jury said";
        while (DemoTokenizer.Instance.Encode($"User: {longInput} it was fine.\nAssistant:").Count <= 48)
        {
            longInput += " it was fine.";
        }

        var first = await CreateAsync(client, new { input = longInput, max_output_tokens = 4 });
        Assert.InRange((int)first["usage"]!["input_tokens"]!, 44, 48);

        var second = await CreateAsync(client, new { input = "Tell me more about it.", previous_response_id = (string)first["id"]! });

        var request = engine.Requests.Last();
        Assert.Null(request.Start); // re-prefilled: the state holds "Assistant:abc", the template renders "Assistant: abc"
        Assert.True(request.PromptTokens.Count > 48, $"{request.PromptTokens.Count} tokens");
        int newInput = request.PromptTokens.Count - (int)first["usage"]!["total_tokens"]!;
        Assert.Equal(48 - newInput, request.Sampling.MaxTokens); // the default budget: what the new input leaves
        Assert.Contains((string?)second["status"], new[] { "completed", "incomplete" });
    }

    [Fact]
    public async Task Get_StoredResponse_ReturnsItUntilDeleted()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var created = await CreateAsync(client, new { input = "Hi", max_output_tokens = 2 });
        string id = (string)created["id"]!;

        using (var got = await client.GetAsync($"/v1/responses/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, got.StatusCode);
            Assert.Equal(created.ToJsonString(), (await Json.ReadAsync(got)).ToJsonString());
        }

        using (var deleted = await client.DeleteAsync($"/v1/responses/{id}"))
        {
            var body = await Json.ReadAsync(deleted);
            Assert.Equal((id, "response.deleted", true), ((string)body["id"]!, (string)body["object"]!, (bool)body["deleted"]!));
        }

        using var gone = await client.GetAsync($"/v1/responses/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var again = await client.DeleteAsync($"/v1/responses/{id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Create_OpenAiFieldsAskingForWhatTheServerDoes_AreAccepted()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/responses", """
            {"input":"hi","max_output_tokens":2,"tools":[],"tool_choice":"auto","text":{"format":{"type":"text"}},
             "reasoning":{"effort":null},"truncation":"disabled","parallel_tool_calls":true,"include":[],"background":false,
             "service_tier":"auto","user":"u-1","stream_options":{},"prompt_cache_key":"k","prompt_cache_retention":"24h","context_management":[]}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A continuation refused after its previous state was taken lets go of it: deleting the response then frees the snapshot.</summary>
    [Theory]
    [InlineData("""{"text":{"format":{"type":"json_schema","schema":{"type":"array","uniqueItems":true}}}}""")]
    [InlineData("""{"tools":[{"type":"function","name":"f"}],"tool_choice":"required","text":{"format":{"type":"json_object"}}}""")]
    [InlineData("""{"max_output_tokens":2000000}""")]
    [InlineData("""{"input":[{"type":"function_call_output","call_id":"call_none","output":"x"}]}""")]
    public async Task Create_RefusedContinuation_ReleasesThePreviousState(string refusal)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var first = await CreateAsync(client, new { input = "Hello there", max_output_tokens = 4 });
        Assert.Equal(1, engine.LiveSnapshots);
        var body = JsonNode.Parse(refusal)!.AsObject();
        body["previous_response_id"] = (string)first["id"]!;
        body.TryAdd("input", "And then?");

        using var refused = await Json.PostAsync(client, "/v1/responses", body.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        using var deleted = await client.DeleteAsync($"/v1/responses/{(string)first["id"]!}");

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(0, engine.LiveSnapshots);
        Assert.Single(engine.Requests);
    }

    [Fact]
    public async Task Create_StoreFalse_KeepsNothing()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var created = await CreateAsync(client, new { input = "Hi", max_output_tokens = 2, store = false });

        Assert.False((bool)created["store"]!);
        Assert.Null(engine.Requests.Single().SaveState);
        using var got = await client.GetAsync($"/v1/responses/{(string)created["id"]!}");
        Assert.Equal(HttpStatusCode.NotFound, got.StatusCode);
    }

    [Theory]
    [InlineData("resp_0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("resp_nope")]
    [InlineData("../../etc/passwd")]
    public async Task Create_UnknownPreviousResponseId_Is400PreviousResponseNotFound_AsOpenAiAnswers(string id)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/responses", new { input = "Hi", previous_response_id = id });

        // Clients that resend the whole conversation when the previous response is gone (Codex) look for this status and code.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json.ReadAsync(response))["error"]!;
        Assert.Equal(("previous_response_id", "previous_response_not_found", "invalid_request_error"), ((string?)error["param"], (string?)error["code"], (string?)error["type"]));
        Assert.Equal($"Previous response with id '{id}' not found.", (string?)error["message"]);
    }

    [Fact]
    public async Task StoredResponse_AnotherApiKey_SeesItAsMissingForEveryOperation()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:ApiKeys:0"] = "sk-alice", ["MambaServe:Server:ApiKeys:1"] = "sk-bob" };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance, settings: settings);
        var alice = await Authorized(factory, "sk-alice");
        var bob = await Authorized(factory, "sk-bob");
        string id = (string)(await CreateAsync(alice, new { input = "Hi", max_output_tokens = 2 }))["id"]!;

        using (var get = await bob.GetAsync($"/v1/responses/{id}"))
        using (var items = await bob.GetAsync($"/v1/responses/{id}/input_items"))
        using (var continued = await Json.PostAsync(bob, "/v1/responses", new { input = "Hi", previous_response_id = id }))
        using (var delete = await bob.DeleteAsync($"/v1/responses/{id}"))
        {
            Assert.All([get, items, delete], response => Assert.Equal(HttpStatusCode.NotFound, response.StatusCode));
            Assert.Equal(HttpStatusCode.BadRequest, continued.StatusCode);
            Assert.Equal("previous_response_not_found", (string?)(await Json.ReadAsync(continued))["error"]!["code"]);
        }

        using var own = await alice.GetAsync($"/v1/responses/{id}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Theory]
    [InlineData("""{"input":5}""", "input")]
    [InlineData("""{"input":null}""", "input")]
    [InlineData("""{}""", "input")]
    [InlineData("""{"input":[]}""", "input")]
    [InlineData("""{"input":[7]}""", "input[0]")]
    [InlineData("""{"input":[{"role":"bot","content":"x"}]}""", "input[0].role")]
    [InlineData("""{"input":[{"role":"user"}]}""", "input[0].content")]
    [InlineData("""{"input":[{"role":"user","content":42}]}""", "input[0].content")]
    [InlineData("""{"input":[{"role":"user","content":[{"type":"input_image","image_url":"x"}]}]}""", "input[0].content[0].type")]
    [InlineData("""{"input":[{"role":"user","content":[{"type":"input_text","text":null}]}]}""", "input[0].content[0].text")]
    [InlineData("""{"input":[{"type":"function_call_output","call_id":"c","output":"x"}]}""", "input")]
    [InlineData("""{"input":[{"type":"reasoning","summary":[]}]}""", "input[0].type")]
    [InlineData("""{"input":[{"type":"function_call","call_id":"c","name":"f"}]}""", "input[0].arguments")]
    [InlineData("""{"input":[{"type":"function_call","call_id":"c","name":"f","arguments":{}}]}""", "input[0].arguments")]
    [InlineData("""{"input":[{"type":"function_call","name":"f","arguments":"{}"}]}""", "input[0].call_id")]
    [InlineData("""{"input":[{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c"}]}""", "input[1].output")]
    [InlineData("""{"input":[{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","output":"x"}]}""", "input[1].call_id")]
    [InlineData("""{"input":"\ud800"}""", "input")]
    [InlineData("""{"input":[{"role":"user","content":"a\udc00b"}]}""", "input[0].content")]
    [InlineData("""{"input":"hi","max_output_tokens":0}""", "max_output_tokens")]
    [InlineData("""{"input":"hi","max_output_tokens":2000000}""", "max_output_tokens")]
    [InlineData("""{"input":"hi","max_output_tokens":"many"}""", "max_output_tokens")]
    [InlineData("""{"input":"hi","temperature":-1}""", "temperature")]
    [InlineData("""{"input":"hi","top_p":"x"}""", "top_p")]
    [InlineData("""{"input":"hi","store":"yes"}""", "store")]
    [InlineData("""{"input":"hi","metadata":{"k":5}}""", "metadata.k")]
    [InlineData("""{"input":"hi","metadata":{"k":null}}""", "metadata")]
    [InlineData("""{"input":"hi","previous_response_id":7}""", "previous_response_id")]
    [InlineData("""{"input":"hi","instructions":["x"]}""", "instructions")]
    [InlineData("""{"input":"hi","instructions":"\ud800"}""", "instructions")]
    [InlineData("""{"input":"hi","tools":[{"type":"function","name":"f"}]}""", "tool_choice")]
    [InlineData("""{"input":"hi","tools":{"type":"function","name":"f"}}""", "tools")]
    [InlineData("""{"input":"hi","tools":[{"type":"web_search"}]}""", "tools[0].type")]
    [InlineData("""{"input":"hi","tools":[{"name":"f"}]}""", "tools[0]")]
    [InlineData("""{"input":"hi","tools":[{"type":"function","name":"a b"}]}""", "tools[0].name")]
    [InlineData("""{"input":"hi","tools":[{"type":"function","name":"f","parameters":"{}"}]}""", "tools[0].parameters")]
    [InlineData("""{"input":"hi","tools":[{"type":"function","name":"f","strict":"yes"}]}""", "tools[0].strict")]
    [InlineData("""{"input":"hi","tools":[{"type":"function","name":"f","description":3}]}""", "tools[0].description")]
    [InlineData("""{"input":"hi","tools":[{"type":"function","name":"f"},{"type":"function","name":"f"}],"tool_choice":"required"}""", "tools[1].name")]
    [InlineData("""{"input":"hi","tools":[{"type":"function","name":"f"}],"tool_choice":"sometimes"}""", "tool_choice")]
    [InlineData("""{"input":"hi","tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"function","name":"g"}}""", "tool_choice.name")]
    [InlineData("""{"input":"hi","tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"file_search"}}""", "tool_choice")]
    [InlineData("""{"input":"hi","tool_choice":"required"}""", "tool_choice")]
    [InlineData("""{"input":"hi","tools":[{"type":"function","name":"f"}],"tool_choice":"required","text":{"format":{"type":"json_object"}}}""", "text.format")]
    [InlineData("""{"input":"hi","tools":[{"type":"function","name":"f","parameters":{"type":"object","properties":{"a":{"type":"frobnicate"}}}}],"tool_choice":"required"}""", "tools[0].parameters")]
    [InlineData("""{"input":"hi","text":{"format":{"type":"xml"}}}""", "text.format.type")]
    [InlineData("""{"input":"hi","text":{"format":{"type":"json_schema"}}}""", "text.format.schema")]
    [InlineData("""{"input":"hi","text":{"format":"json"}}""", "text")]
    [InlineData("""{"input":"hi","reasoning":{"effort":"high"}}""", "reasoning")]
    [InlineData("""{"input":"hi","context_management":[{"type":"compaction","compact_threshold":1000}]}""", "context_management")]
    [InlineData("""{"input":"hi","prompt_cache_retention":24}""", "prompt_cache_retention")]
    [InlineData("""{"input":"hi","background":"yes"}""", "background")]
    [InlineData("""{"input":"hi","background":true,"store":false}""", "store")]
    [InlineData("""{"input":"hi","include":["file_search_call.results"]}""", "include")]
    [InlineData("""{"input":"hi","include":"message.output_text.logprobs"}""", "include")]
    [InlineData("""{"input":"hi","top_logprobs":21}""", "top_logprobs")]
    [InlineData("""{"input":"hi","top_logprobs":1.5}""", "top_logprobs")]
    [InlineData("""{"input":"hi","top_logprobs":2,"tools":[{"type":"function","name":"f"}],"tool_choice":"required"}""", "top_logprobs")]
    [InlineData("""{"input":"hi","include":["message.output_text.logprobs"],"tools":[{"type":"function","name":"f"}],"tool_choice":"required"}""", "include")]
    [InlineData("""{"input":"hi","parallel_tool_calls":"yes"}""", "parallel_tool_calls")]
    [InlineData("""{"input":"hi","user":"a\udfff"}""", "user")]
    [InlineData("""{"input":[{"role":"user","content":null}]}""", "input[0].content")]
    [InlineData("""{"input":[{"role":null,"content":"x"}]}""", "input[0].role")]
    [InlineData("""{"input":[{"role":"user","content":"x","id":5}]}""", "input[0].id")]
    [InlineData("""{"input":"hi","stream_id":"lane-1"}""", "stream_id")]  // a WebSocket lane: not part of POST
    public async Task Create_MalformedRequest_Is400NamingTheField(string body, string param)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/responses", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, (string?)(await Json.ReadAsync(response))["error"]!["param"]);
    }

    [Fact]
    public async Task Create_Streaming_SendsTheStandardEventsInOrder()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { StopAfter = 3 };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/responses", new { input = "Hi", max_output_tokens = 8, stream = true });

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = await ReadEventsAsync(response);
        var types = events.Select(e => e.Type).ToList();
        Assert.Equal(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"], types[..4]);
        Assert.Equal(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"], types[^4..]);
        Assert.All(types[4..^4], t => Assert.Equal("response.output_text.delta", t));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => (int)e.Data["sequence_number"]!));
        Assert.All(events, e => Assert.Equal(e.Type, (string)e.Data["type"]!));
        string expected = engine.TextOf(engine.TokensOf(0, 3));
        Assert.Equal(expected, string.Concat(events.Where(e => e.Type == "response.output_text.delta").Select(e => (string)e.Data["delta"]!)));
        Assert.Equal(expected, (string)events[^4].Data["text"]!);
        var completed = events[^1].Data["response"]!;
        Assert.Equal("completed", (string)completed["status"]!);
        Assert.Equal(expected, (string)completed["output"]![0]!["content"]![0]!["text"]!);
        Assert.Equal("in_progress", (string)events[0].Data["response"]!["status"]!);

        using var stored = await client.GetAsync($"/v1/responses/{(string)completed["id"]!}");
        Assert.Equal(completed.ToJsonString(), (await Json.ReadAsync(stored)).ToJsonString());
    }

    [Fact]
    public async Task Create_StreamingEngineFailure_EndsWithResponseFailed()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { FailAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/responses", new { input = "Hi", max_output_tokens = 8, stream = true });

        var events = await ReadEventsAsync(response);
        Assert.Equal("response.failed", events[^1].Type);
        var failed = events[^1].Data["response"]!;
        Assert.Equal("failed", (string)failed["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)failed["error"]!["message"]));
        using var stored = await client.GetAsync($"/v1/responses/{(string)failed["id"]!}");
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
    }

    /// <summary>
    /// A scripted answer whose text starts with a space, as a model's answer to "Assistant:" does: the default template
    /// renders it back unchanged, so the conversation continues from the saved state (one starting with a letter gets
    /// the template's space, is no longer the text the state holds, and is prefilled whole).
    /// </summary>
    internal static IReadOnlyList<int> ScriptStartingWithASpace()
    {
        var spaced = Enumerable.Range(300, 7700).Where(id => DemoTokenizer.Instance.Decode([id]).StartsWith(' ')).ToArray();
        return [spaced[Random.Shared.Next(spaced.Length)], .. Enumerable.Range(0, 31).Select(_ => Random.Shared.Next(300, 8000))];
    }

    internal static async Task<JsonNode> CreateAsync(HttpClient client, object body)
    {
        using var response = await Json.PostAsync(client, "/v1/responses", body);
        var json = await Json.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
        return json;
    }

    internal static async Task<HttpClient> Authorized(ServerFactory factory, string key)
    {
        var client = await factory.CreateReadyClientAsync();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    internal static async Task<List<(string Type, JsonNode Data)>> ReadEventsAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        var events = new List<(string, JsonNode)>();
        foreach (var block in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            Assert.StartsWith("event: ", lines[0]);
            Assert.StartsWith("data: ", lines[1]);
            events.Add((lines[0]["event: ".Length..], Json.Parse(lines[1]["data: ".Length..])));
        }

        return events;
    }
}
