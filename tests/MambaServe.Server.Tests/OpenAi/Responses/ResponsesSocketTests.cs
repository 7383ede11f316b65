using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;
using static MambaServe.Server.Tests.OpenAi.Responses.ResponsesEndpointTests;

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>
/// The Responses API's WebSocket mode (GET /v1/responses upgraded): response.create runs as a streamed POST does; an
/// unstored response is continued on its socket's saved state and seen by nobody else; bad messages are answered by an
/// error event and the socket serves the next; closing cancels; the limits and the key hold. Lanes (stream_id):
/// <see cref="ResponsesSocketLanesTests"/>.
/// </summary>
public sealed class ResponsesSocketTests
{
    private const string Missing = "resp_000000000000000000000000000000000000000000000000";

    [Fact]
    public async Task UnstoredTurns_ContinueOnTheSocketsState_AndNobodyElseSeesThem()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);

        var first = await socket.TurnAsync(Create(new { input = "Hello there", store = false, max_output_tokens = 4 }));
        var second = await socket.TurnAsync(Create(new { input = "And then?", store = false, max_output_tokens = 3, previous_response_id = IdOf(first) }));

        Assert.Equal(Enumerable.Range(0, first.Count), first.Select(e => (int)e["sequence_number"]!));
        Assert.Equal(["response.created", "response.in_progress"], first.Take(2).Select(e => (string?)e["type"]));
        var firstResponse = first[^1]["response"]!;
        Assert.Equal(("response.incomplete", false), ((string?)first[^1]["type"], (bool)firstResponse["store"]!));
        Assert.Equal(engine.TextOf(engine.TokensOf(0, 4)), string.Concat(first.Where(e => (string?)e["type"] == "response.output_text.delta").Select(e => (string?)e["delta"])));
        var request = engine.Requests.Last();
        Assert.NotNull(request.Start);
        Assert.Equal([engine.TokensOf(0, 4)[^1], .. DemoTokenizer.Instance.Encode("\nUser: And then?\nAssistant:")], request.PromptTokens);
        int firstContext = (int)firstResponse["usage"]!["input_tokens"]! + 4 - 1;
        Assert.Equal(firstContext, (int)second[^1]["response"]!["usage"]!["input_tokens_details"]!["cached_tokens"]!);

        // Nobody else sees them: not GET, not HTTP's previous_response_id, not another socket; this socket keeps only its latest.
        foreach (var id in new[] { IdOf(first), IdOf(second) })
        {
            using var get = await client.GetAsync($"/v1/responses/{id}");
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        }

        using var overHttp = await Json.PostAsync(client, "/v1/responses", new { input = "Go on.", previous_response_id = IdOf(second), max_output_tokens = 2 });
        Assert.Equal(HttpStatusCode.BadRequest, overHttp.StatusCode);
        await using (var other = await ResponsesSocket.ConnectAsync(factory))
        {
            AssertError(await other.TurnAsync(Create(new { input = "Go on.", previous_response_id = IdOf(second) })), 400, "previous_response_not_found", "previous_response_id");
        }

        AssertError(await socket.TurnAsync(Create(new { input = "Go on.", previous_response_id = IdOf(first) })), 400, "previous_response_not_found", "previous_response_id");
        Assert.Equal(1, engine.LiveSnapshots);
        await socket.DisposeAsync();
        await WaitUntilAsync(() => engine.LiveSnapshots == 0);  // closing the socket dropped the state it held
    }

    [Fact]
    public async Task WarmUp_PrefillsWithoutGenerating_AndTheNextTurnStartsFromItsState()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);

        var warm = await socket.TurnAsync(Create(new { generate = false, instructions = "Be brief.", input = "Hello there", store = false }));

        Assert.Equal(["response.created", "response.in_progress", "response.completed"], warm.Select(e => (string?)e["type"]));
        var response = warm[^1]["response"]!;
        Assert.Empty(response["output"]!.AsArray());
        var warmUp = engine.Requests.Last();
        Assert.Equal((0, true), (warmUp.Sampling.MaxTokens, warmUp.SaveState is not null));
        // The default template's rendering without the assistant's turn opener ends with the turn's newline.
        var prefix = DemoTokenizer.Instance.Encode("System: Be brief.\nUser: Hello there\n");
        Assert.Equal(prefix, warmUp.PromptTokens);
        Assert.Equal((prefix.Count, 0), ((int)response["usage"]!["input_tokens"]!, (int)response["usage"]!["output_tokens"]!));

        var turn = await socket.TurnAsync(Create(new { instructions = "Be brief.", input = "And then?", store = false, max_output_tokens = 3, previous_response_id = IdOf(warm) }));

        var request = engine.Requests.Last();
        Assert.NotNull(request.Start);
        Assert.Equal(DemoTokenizer.Instance.Encode("User: And then?\nAssistant:"), request.PromptTokens);
        Assert.Equal(prefix.Count, (int)turn[^1]["response"]!["usage"]!["input_tokens_details"]!["cached_tokens"]!);
    }

    /// <summary>The demo model: a turn continued from a warm-up's state answers as chat does with the whole conversation.</summary>
    [Fact]
    public async Task WarmUp_OnTheDemoModel_TheTurnAfterItAnswersAsChat()
    {
        await using var factory = ServerFactory.WithDemoModel(2);
        var client = await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        const string instructions = "You are a reporter for the city paper.";

        var warm = await socket.TurnAsync(Create(new { generate = false, instructions, store = false }));
        var turn = await socket.TurnAsync(Create(new { instructions, input = "Tell me about the jury.", store = false, max_output_tokens = 8, temperature = 0, previous_response_id = IdOf(warm) }));
        var chat = await ResponsesRealModelTests.ChatAsync(client, [new { role = "system", content = instructions }, new { role = "user", content = "Tell me about the jury." }], 8);

        var usage = turn[^1]["response"]!["usage"]!;
        Assert.Equal((int)warm[^1]["response"]!["usage"]!["input_tokens"]!, (int)usage["input_tokens_details"]!["cached_tokens"]!);
        Assert.Equal((int)chat["usage"]!["prompt_tokens"]!, (int)usage["input_tokens"]!);
        Assert.Equal((string)chat["choices"]![0]!["message"]!["content"]!, (string)turn[^1]["response"]!["output"]![0]!["content"]![0]!["text"]!);
    }

    /// <summary>Stored, a warm-up is a prefix saved once: every continuation of it, from any client, starts from its state.</summary>
    [Fact]
    public async Task StoredWarmUp_IsContinuedByEveryTurnThatNamesIt()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string id;
        await using (var socket = await ResponsesSocket.ConnectAsync(factory))
        {
            id = IdOf(await socket.TurnAsync(Create(new { generate = false, instructions = "You are a reporter for the city paper." })));
        }

        var stored = await Json.ReadAsync(await client.GetAsync($"/v1/responses/{id}"));
        Assert.Equal(("completed", 0), ((string?)stored["status"], stored["output"]!.AsArray().Count));
        foreach (var input in new[] { "Tell me about the jury.", "Who spoke for the city?" })
        {
            var answer = await CreateAsync(client, new { instructions = "You are a reporter for the city paper.", input, previous_response_id = id, max_output_tokens = 2 });
            Assert.NotNull(engine.Requests.Last().Start);
            Assert.Equal(DemoTokenizer.Instance.Encode($"User: {input}\nAssistant:"), engine.Requests.Last().PromptTokens);
            Assert.True((int)answer["usage"]!["input_tokens_details"]!["cached_tokens"]! > 0);
        }
    }

    [Fact]
    public async Task StoredTurn_IsAResponseLikeAnyOther_AndHttpContinuesIt()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);

        var turn = await socket.TurnAsync(Create(new { input = "Hello there", max_output_tokens = 4, metadata = new { k = "v" } }));
        await socket.DisposeAsync();

        var stored = await Json.ReadAsync(await client.GetAsync($"/v1/responses/{IdOf(turn)}"));
        Assert.Equal(turn[^1]["response"]!["output"]!.ToJsonString(), stored["output"]!.ToJsonString());
        Assert.True((bool)stored["store"]!);
        await CreateAsync(client, new { input = "And then?", previous_response_id = IdOf(turn), max_output_tokens = 2 });
        Assert.NotNull(engine.Requests.Last().Start);
    }

    /// <summary>The demo model (whose states export, unlike the scripted engine's), with a state directory.</summary>
    [Fact]
    public async Task UnstoredTurn_IsNeverWrittenToTheStateDirectory()
    {
        using var directory = new ResponsesRealModelTests.TempDirectory();
        await using var factory = ServerFactory.WithDemoModel(2, new Dictionary<string, string?> { ["MambaServe:StateStore:Directory"] = directory.Path });
        var client = await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);

        var unstored = await socket.TurnAsync(Create(new { input = "Tell me about the jury.", store = false, max_output_tokens = 4, temperature = 0 }));
        // A stored response made after it, over HTTP (the socket still holds the unstored one): the disk writes in order.
        var stored = await CreateAsync(client, new { input = "Tell me about the court.", max_output_tokens = 3, temperature = 0 });
        await WaitUntilAsync(() => File.Exists(Path.Combine(directory.Path, (string)stored["id"]! + ".msvresp")));

        Assert.Equal([(string)stored["id"]! + ".msvresp"], Directory.GetFiles(directory.Path).Select(Path.GetFileName));
        var next = await socket.TurnAsync(Create(new { input = "And then?", store = false, previous_response_id = IdOf(unstored), max_output_tokens = 3, temperature = 0 }));
        Assert.True((int)next[^1]["response"]!["usage"]!["input_tokens_details"]!["cached_tokens"]! > 0);
    }

    [Theory]
    [InlineData("not json", 400, "invalid_json", null)]
    [InlineData("[1,2]", 400, "unsupported_event_type", "type")]
    [InlineData("""{"type":"response.cancel"}""", 400, "unsupported_event_type", "type")]
    [InlineData("""{"input":"Hi"}""", 400, "unsupported_event_type", "type")]
    [InlineData("""{"type":"response.create","input":"Hi","stream":false}""", 400, null, "stream")]
    [InlineData("""{"type":"response.create","input":"Hi","background":true}""", 400, null, "background")]
    [InlineData("""{"type":"response.create","input":[]}""", 400, null, "input")]
    [InlineData("""{"type":"response.create","input":"Hi","generate":false,"conversation":"conv_000000000000000000000000000000000000000000000000"}""", 400, null, "generate")]
    [InlineData("""{"type":"response.create","generate":false}""", 400, null, "input")]
    [InlineData("""{"type":"response.create","input":"Hi","stream_id":"lane 2"}""", 400, "invalid_stream_id", "stream_id")]
    [InlineData("""{"type":"response.create","input":"Hi","stream_id":""}""", 400, "invalid_stream_id", "stream_id")]
    [InlineData("""{"type":"response.create","input":"Hi","stream_id":7}""", 400, "invalid_stream_id", "stream_id")]
    [InlineData("""{"type":"response.create","input":"Hi","stream_id":"a\ud83d"}""", 400, "invalid_stream_id", "stream_id")]  // found by the fuzzer: dropped the socket
    [InlineData("""{"type":7,"input":"Hi"}""", 400, "unsupported_event_type", "type")]  // found by the fuzzer: dropped the socket
    [InlineData("""{"type":"response.create","input":"Hi","max_output_tokens":"many"}""", 400, null, "max_output_tokens")]
    [InlineData("""{"type":"response.create","input":"Hi","model":"other-model"}""", 404, "model_not_found", "model")]
    [InlineData("""{"type":"response.create","input":"Hi","previous_response_id":"resp_000000000000000000000000000000000000000000000000"}""", 400, "previous_response_not_found", "previous_response_id")]
    public async Task BadMessage_IsAnsweredByAnErrorEvent_AndTheSocketServesTheNext(string message, int status, string? code, string? param)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);

        await socket.SendAsync(message);
        var error = await socket.ReceiveAsync();

        AssertError([error!], status, code, param);
        Assert.Empty(engine.Requests);
        var next = await socket.TurnAsync(Create(new { input = "Hi", max_output_tokens = 2 }));
        Assert.Equal("response.incomplete", (string?)next[^1]["type"]);
    }

    [Fact]
    public async Task BinaryMessage_IsAnsweredByAnErrorEvent()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);

        await socket.SendAsync("{}"u8.ToArray(), WebSocketMessageType.Binary);

        AssertError([(await socket.ReceiveAsync())!], 400, "unsupported_message", null);
    }

    /// <summary>A client sends the next turn the moment it reads the last event: the socket takes it (found by the soak as a 409).</summary>
    [Fact]
    public async Task NextTurnSentOnTheLastEvent_IsServed_EachOnThePreviousState()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        string? previous = null;

        for (int turn = 0; turn < 100; turn++)
        {
            var events = await socket.TurnAsync(Create(new { input = $"Turn {turn}", store = false, max_output_tokens = 1, previous_response_id = previous }));
            Assert.True((string?)events[^1]["type"] == "response.incomplete", $"turn {turn}: {events[^1].ToJsonString()}");
            Assert.Equal(previous is not null, engine.Requests.Last().Start is not null);
            previous = IdOf(events);
        }
    }

    [Fact]
    public async Task ClosingTheSocketMidResponse_CancelsIt()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var socket = await ResponsesSocket.ConnectAsync(factory);
        await socket.SendAsync(Create(new { input = "Hello", max_output_tokens = 8 }));
        await engine.FirstUpdateSent;

        await socket.DisposeAsync();

        await engine.Aborted.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ServerStopping_CancelsTheResponseInFlight_AndClosesWith1001()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        await socket.SendAsync(Create(new { input = "Hello", max_output_tokens = 8 }));
        await engine.FirstUpdateSent;

        var stopping = factory.DisposeAsync().AsTask();
        while (await socket.ReceiveAsync() is not null)
        {
        }

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, socket.Socket.CloseStatus);
        await engine.Aborted.WaitAsync(TimeSpan.FromSeconds(30));
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task MessageOverTheBodyLimit_ClosesTheSocketWith1009()
    {
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:MaxRequestBodyBytes"] = "4096" };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);

        await socket.SendAsync(Create(new { input = new string('a', 5000) }));

        Assert.Null(await socket.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, socket.Socket.CloseStatus);
    }

    [Fact]
    public async Task PlainGet_Is426_AndTheUpgradeNeedsTheKey()
    {
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:ApiKeys:0"] = "sk-alice" };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        var client = await Authorized(factory, "sk-alice");

        using var plain = await client.GetAsync("/v1/responses");
        var body = await Json.ReadAsync(plain);
        Assert.Equal((HttpStatusCode)426, plain.StatusCode);
        Assert.Equal("websocket_upgrade_required", (string?)body["error"]!["code"]);
        await Assert.ThrowsAnyAsync<Exception>(() => ResponsesSocket.ConnectAsync(factory, "sk-mallory"));
        await using var socket = await ResponsesSocket.ConnectAsync(factory, "sk-alice");
        Assert.Equal("response.incomplete", (string?)(await socket.TurnAsync(Create(new { input = "Hi", max_output_tokens = 2 })))[^1]["type"]);
    }

    /// <summary>A response.create event with the fields of <paramref name="body"/>.</summary>
    internal static JsonObject Create(object body)
    {
        var json = System.Text.Json.JsonSerializer.SerializeToNode(body)!.AsObject();
        json.Insert(0, "type", "response.create");
        return json;
    }

    internal static string IdOf(List<JsonNode> events) => (string)events[^1]["response"]!["id"]!;

    internal static void AssertError(List<JsonNode> events, int status, string? code, string? param)
    {
        var error = Assert.Single(events);
        Assert.True((string?)error["type"] == "error", error.ToJsonString());
        Assert.Equal(status, (int)error["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)error["error"]!["message"]));
        Assert.Equal(param, (string?)error["error"]!["param"]);
        if (code is not null)
        {
            Assert.Equal(code, (string?)error["error"]!["code"]);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); !condition(); await Task.Delay(20))
        {
            Assert.True(wait.Elapsed < TimeSpan.FromSeconds(30), "timed out");
        }
    }
}
