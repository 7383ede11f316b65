using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;
using static MambaServe.Server.Tests.OpenAi.Responses.ResponsesSocketTests;

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>
/// response.steer on the Responses WebSocket (OpenAI's steering): a running response's steer is accepted with an id on
/// its lane; free text then ends at its next token, incomplete with reason steered, and its successor (the same
/// settings, continuing it from its saved state with the steers' input in the order sent) follows on the lane; a
/// structured answer ends by itself first; a function call's steers wait (response.steer.pending) and go first into the
/// client's continuation with the tool output; what cannot be queued or committed comes back in response.steer.failed.
/// </summary>
public sealed class ResponsesSocketSteeringTests
{
    private const string NoResponse = "resp_000000000000000000000000000000000000000000000000";

    [Fact]
    public async Task ASteerOfRunningText_EndsItSteered_AndItsSuccessorContinuesItsStateWithTheInput()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true, Script = ResponsesEndpointTests.ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        string id = await StartHeldAsync(socket, engine, new { input = "Hello there", instructions = "Be brief.", max_output_tokens = 8, stream_id = "s", metadata = new { topic = "jury" } });

        await socket.SendAsync(Steer(id, new[] { new { role = "user", content = "Shorter, please." } }));
        var accepted = await ReceiveTypeAsync(socket, "response.steer.accepted");
        engine.ReleaseAfterFirst();
        var steered = await ReadToEndAsync(socket);
        var successor = await ReadToEndAsync(socket);

        Assert.Matches("^steer_[0-9a-f]+$", (string?)accepted["steer"]!["id"]);
        Assert.Equal((id, "s"), ((string?)accepted["steer"]!["previous_response_id"], (string?)accepted["stream_id"]));
        var ended = steered[^1]["response"]!;
        Assert.Equal(("response.incomplete", "steered"), ((string?)steered[^1]["type"], (string?)ended["incomplete_details"]!["reason"]));
        Assert.Equal(2, (int)ended["usage"]!["output_tokens"]!); // the held token and the one after the steer, not 8
        var next = successor[^1]["response"]!;
        Assert.Equal("response.created", (string?)successor[0]["type"]);
        Assert.All(successor, e => Assert.Equal("s", (string?)e["stream_id"]));
        Assert.Equal((id, "Be brief.", 8, "jury"), ((string?)next["previous_response_id"], (string?)next["instructions"], (int)next["max_output_tokens"]!, (string?)next["metadata"]!["topic"]));
        // Continued from the steered response's state: its last token pending, then only the steer's turn.
        var request = engine.Requests.Last();
        Assert.NotNull(request.Start);
        int[] expected = [engine.TokensOf(0, 8)[1], .. DemoTokenizer.Instance.Encode("\nUser: Shorter, please.\nAssistant:")];
        Assert.Equal(expected, request.PromptTokens);
        Assert.Equal(2, engine.Requests.Count);
    }

    [Fact]
    public async Task SteersQueuedTogether_JoinOneSuccessor_InTheOrderSent_WhichListsThemAsItsInput()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        string id = await StartHeldAsync(socket, engine, new { input = "Hello", max_output_tokens = 6 });

        await socket.SendAsync(Steer(id, "First this."));
        await socket.SendAsync(Steer(id, new[] { new { type = "message", role = "user", content = (object)new[] { new { type = "input_text", text = "Then that." } } } }));
        var first = await ReceiveTypeAsync(socket, "response.steer.accepted");
        var second = await ReceiveTypeAsync(socket, "response.steer.accepted");
        engine.ReleaseAfterFirst();
        await ReadToEndAsync(socket);
        var successor = await ReadToEndAsync(socket);

        Assert.NotEqual((string?)first["steer"]!["id"], (string?)second["steer"]!["id"]);
        Assert.False(first.AsObject().ContainsKey("stream_id")); // the default lane names none
        var items = await client.GetFromJsonAsync<JsonObject>($"/v1/responses/{IdOf(successor)}/input_items?order=asc");
        var users = items!["data"]!.AsArray().Where(item => (string?)item!["role"] == "user").Select(item => (string?)item!["content"]![0]!["text"]);
        Assert.Equal(["Hello", "First this.", "Then that."], users);
        Assert.Equal(2, engine.Requests.Count);
    }

    [Fact]
    public async Task ASteeredResponsesSuccessor_CountsTowardTheSocketsBound_UntilItsOwnEnd()
    {
        // One response in flight at most. The steered response's end is not the end of what its create started: the
        // successor runs on, so a create on another lane then is refused, and admitted once the successor has ended.
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true, StepDelay = TimeSpan.FromMilliseconds(100) };
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:MaxSocketPending"] = "1" };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance, settings: settings);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        string id = await StartHeldAsync(socket, engine, new { input = "Hello", max_output_tokens = 8, stream_id = "s" });

        await socket.SendAsync(Steer(id, "Go on."));
        await ReceiveTypeAsync(socket, "response.steer.accepted");
        engine.ReleaseAfterFirst();
        await ReadToEndAsync(socket);
        await socket.SendAsync(Create(new { input = "Meanwhile", max_output_tokens = 2, stream_id = "t" }));
        // Two answers, in whichever order they come: the refusal and the successor's events to its end.
        List<JsonNode> events = [.. await socket.ReadResponseAsync(), .. await socket.ReadResponseAsync()];

        var error = Assert.Single(events, e => (string?)e["type"] == "error");
        Assert.Equal((429, "socket_queue_full", "t"), ((int)error["status"]!, (string?)error["error"]!["code"], (string?)error["stream_id"]));
        Assert.Equal(id, (string?)events.Single(e => (string?)e["type"] is "response.completed" or "response.incomplete")["response"]!["previous_response_id"]);
        Assert.Equal("response.incomplete", (string?)(await socket.TurnAsync(Create(new { input = "Now", max_output_tokens = 2, stream_id = "t" })))[^1]["type"]);
    }

    [Fact]
    public async Task ASteerOfAStructuredAnswer_LetsItEndWhole_ThenItsSuccessorRuns()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        var format = new { format = new { type = "json_schema", name = "answer", schema = new { type = "object" } } };
        string id = await StartHeldAsync(socket, engine, new { input = "Hello", max_output_tokens = 5, text = format });

        await socket.SendAsync(Steer(id, "Also this."));
        await ReceiveTypeAsync(socket, "response.steer.accepted");
        engine.ReleaseAfterFirst();
        var ended = await ReadToEndAsync(socket);
        var successor = await ReadToEndAsync(socket);

        Assert.Equal("max_output_tokens", (string?)ended[^1]["response"]!["incomplete_details"]!["reason"]);
        Assert.Equal(5, (int)ended[^1]["response"]!["usage"]!["output_tokens"]!);
        Assert.Equal(id, (string?)successor[^1]["response"]!["previous_response_id"]);
        Assert.Equal("json_schema", (string?)successor[^1]["response"]!["text"]!["format"]!["type"]);
    }

    [Fact]
    public async Task ASteerOfAFunctionCall_IsPending_ThenGoesFirstIntoTheClientsContinuationWithTheToolOutput()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true, StopAfter = 3 };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        var tool = new { type = "function", name = "get_weather", parameters = new { type = "object" } };
        string id = await StartHeldAsync(socket, engine, new { input = "Weather?", max_output_tokens = 6, stream_id = "t", tools = new[] { tool }, tool_choice = new { type = "function", name = "get_weather" } });

        await socket.SendAsync(Steer(id, "In Celsius."));
        await ReceiveTypeAsync(socket, "response.steer.accepted");
        engine.ReleaseAfterFirst();
        var ended = await ReadToEndAsync(socket);
        var pending = await ReceiveTypeAsync(socket, "response.steer.pending");

        Assert.Equal("response.completed", (string?)ended[^1]["type"]);
        string callId = (string)ended[^1]["response"]!["output"]![0]!["call_id"]!;
        Assert.Equal(("waiting_for_required_input", "t", id), ((string?)pending["reason"], (string?)pending["stream_id"], (string?)pending["steer"]!["previous_response_id"]));
        var stub = Assert.Single(pending["required_input"]!.AsArray())!;
        Assert.Equal(("function_call_output", callId, "get_weather"), ((string?)stub["type"], (string?)stub["call_id"], (string?)stub["name"]));
        Assert.Single(engine.Requests); // no successor of its own

        var continued = await socket.TurnAsync(Create(new
        {
            previous_response_id = id, stream_id = "t", max_output_tokens = 2, tools = new[] { tool }, tool_choice = "none",
            input = new[] { new { type = "function_call_output", call_id = callId, output = "12 degrees" } },
        }));
        Assert.True("response.incomplete" == (string?)continued[^1]["type"], continued[^1].ToJsonString());
        var items = await client.GetFromJsonAsync<JsonObject>($"/v1/responses/{IdOf(continued)}/input_items?order=asc");
        var kinds = items!["data"]!.AsArray().TakeLast(2).Select(item => ((string?)item!["type"], (string?)item["role"])).ToList();
        Assert.Equal([("message", "user"), ("function_call_output", null)], kinds); // the steer, then the tool output
        Assert.Contains("In Celsius.", DemoTokenizer.Instance.Decode(engine.Requests.Last().PromptTokens), StringComparison.Ordinal);
        await socket.SendAsync(Steer(id, "Too late."));
        Assert.Equal("response_already_completed", (string?)(await ReceiveTypeAsync(socket, "response.steer.failed"))["error"]!["code"]);
    }

    [Fact]
    public async Task PendingSteers_LapseWhenTheirLaneGoesOnWithoutTheirResponse_AndComeBackWithTheirIds()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true, StopAfter = 3 };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        var tool = new { type = "function", name = "lookup", parameters = new { type = "object" } };
        string id = await StartHeldAsync(socket, engine, new { input = "Look it up.", max_output_tokens = 6, tools = new[] { tool }, tool_choice = "required" });
        await socket.SendAsync(Steer(id, "Quickly."));
        var accepted = await ReceiveTypeAsync(socket, "response.steer.accepted");
        engine.ReleaseAfterFirst();
        await ReadToEndAsync(socket);
        await ReceiveTypeAsync(socket, "response.steer.pending");

        await socket.SendAsync(Create(new { input = "Something else.", max_output_tokens = 2 }));
        var failed = await ReceiveTypeAsync(socket, "response.steer.failed");

        Assert.Equal(("response_not_active", (string?)accepted["steer"]!["id"]), ((string?)failed["error"]!["code"], (string?)failed["steer"]!["id"]));
        Assert.Equal("Quickly.", (string?)failed["steer"]!["input"]);
        Assert.Equal("response.incomplete", (string?)(await ReadToEndAsync(socket))[^1]["type"]);
    }

    [Fact]
    public async Task ASuccessorThatCannotStart_HandsTheInputBack_AndTheSocketGoesOn()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        var settings = new Dictionary<string, string?> { ["MambaServe:Model:MaxModelLen"] = "48" };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance, settings: settings);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        string id = await StartHeldAsync(socket, engine, new { input = "Hi", max_output_tokens = 4, stream_id = "x" });
        string tooLong = string.Join(' ', Enumerable.Repeat("jury", 80));

        await socket.SendAsync(Steer(id, tooLong));
        var accepted = await ReceiveTypeAsync(socket, "response.steer.accepted");
        engine.ReleaseAfterFirst();
        var steered = await ReadToEndAsync(socket);
        var failed = (await socket.ReceiveAsync())!;

        Assert.Equal("steered", (string?)steered[^1]["response"]!["incomplete_details"]!["reason"]);
        Assert.Equal(("response.steer.failed", "successor_creation_failed", "x"), ((string?)failed["type"], (string?)failed["error"]!["code"], (string?)failed["stream_id"]));
        Assert.Equal(((string?)accepted["steer"]!["id"], tooLong), ((string?)failed["steer"]!["id"], (string?)failed["steer"]!["input"]));
        Assert.Equal("response.incomplete", (string?)(await socket.TurnAsync(Create(new { input = "Hi", max_output_tokens = 2, stream_id = "x" })))[^1]["type"]);
    }

    [Theory]
    [InlineData("""[{"role":"assistant","content":"I said so."}]""", "input[0].role")]
    [InlineData("""[{"type":"function_call_output","call_id":"call_1","output":"12"}]""", "input[0].type")]
    [InlineData("""[{"role":"user","content":[{"type":"input_image","image_url":"https://example.com/a.png"}]}]""", "input[0].content[0]")]
    [InlineData("""[]""", "input")]
    [InlineData("""{"text":"Hi"}""", "input")]
    public async Task ASteerWithInputASteerCannotCarry_IsRefusedOnItsLane_AndTheResponseRunsOn(string input, string path)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        string id = await StartHeldAsync(socket, engine, new { input = "Hello", max_output_tokens = 3, stream_id = "v" });

        await socket.SendAsync($$"""{"type":"response.steer","previous_response_id":"{{id}}","input":{{input}}}""");
        var failed = await ReceiveTypeAsync(socket, "response.steer.failed");
        engine.ReleaseAfterFirst();
        var events = await ReadToEndAsync(socket);

        Assert.Equal(("invalid_input", "v"), ((string?)failed["error"]!["code"], (string?)failed["stream_id"]));
        Assert.Contains(path, (string?)failed["error"]!["message"], StringComparison.Ordinal);
        Assert.False(failed["steer"]!.AsObject().ContainsKey("id")); // refused before an id was given
        Assert.Equal(JsonNode.Parse(input)!.ToJsonString(), failed["steer"]!["input"]!.ToJsonString());
        Assert.Equal("max_output_tokens", (string?)events[^1]["response"]!["incomplete_details"]!["reason"]);
        Assert.Single(engine.Requests);
    }

    [Fact]
    public async Task SteersBeyondTheLimit_AreRefused_AndTheQueuedOnesAreCommitted()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:MaxPendingSteers"] = "1" };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance, settings: settings);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        string id = await StartHeldAsync(socket, engine, new { input = "Hello", max_output_tokens = 4 });

        await socket.SendAsync(Steer(id, "One."));
        await ReceiveTypeAsync(socket, "response.steer.accepted");
        await socket.SendAsync(Steer(id, "Two."));
        var refused = await ReceiveTypeAsync(socket, "response.steer.failed");
        engine.ReleaseAfterFirst();
        await ReadToEndAsync(socket);
        var successor = await ReadToEndAsync(socket);

        Assert.Equal(("too_many_pending_steers", "Two."), ((string?)refused["error"]!["code"], (string?)refused["steer"]!["input"]));
        var prompt = DemoTokenizer.Instance.Decode(engine.Requests.Last().PromptTokens);
        Assert.Contains("One.", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("Two.", prompt, StringComparison.Ordinal);
        Assert.Equal(id, (string?)successor[^1]["response"]!["previous_response_id"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ASteerOfALanesLastResponse_IsTooLate_OnThatLane(bool store)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        var done = await socket.TurnAsync(Create(new { input = "Hi", store, max_output_tokens = 2, stream_id = "kept" }));

        await socket.SendAsync(Steer(IdOf(done), "More."));
        var failed = (await socket.ReceiveAsync())!;

        Assert.Equal(("response.steer.failed", "response_already_completed", "kept"), ((string?)failed["type"], (string?)failed["error"]!["code"], (string?)failed["stream_id"]));
        Assert.Equal("More.", (string?)failed["steer"]!["input"]);
    }

    [Fact]
    public async Task ASteerOfAResponseInAConversation_IsNotSupported_AndTheResponseFinishes()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var conversation = await (await client.PostAsJsonAsync("/v1/conversations", new { })).Content.ReadFromJsonAsync<JsonObject>();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        string id = await StartHeldAsync(socket, engine, new { input = "Hello", max_output_tokens = 3, conversation = (string)conversation!["id"]! });

        await socket.SendAsync(Steer(id, "Shorter."));
        var failed = await ReceiveTypeAsync(socket, "response.steer.failed");
        engine.ReleaseAfterFirst();
        var events = await ReadToEndAsync(socket);

        Assert.Equal("steering_not_supported", (string?)failed["error"]!["code"]);
        Assert.Equal("max_output_tokens", (string?)events[^1]["response"]!["incomplete_details"]!["reason"]);
        Assert.Single(engine.Requests);
    }

    [Theory]
    [InlineData($$"""{"type":"response.steer","previous_response_id":"{{NoResponse}}","input":"Hi"}""", "response_not_found")]
    [InlineData($$"""{"type":"response.steer","previous_response_id":"{{NoResponse}}"}""", "invalid_input")]
    [InlineData("""{"type":"response.steer","previous_response_id":5,"input":"Hi"}""", "invalid_input")]
    [InlineData("""{"type":"response.steer","input":"Hi"}""", "invalid_input")]
    [InlineData($$"""{"type":"response.steer","previous_response_id":"{{NoResponse}}","input":"a\udfff"}""", "invalid_input")]  // found by the fuzzer
    [InlineData("""{"type":"response.steer","previous_response_id":"resp_\ud800","input":"Hi"}""", "invalid_input")]
    public async Task ASteerWithNoResponseToSteer_IsRefused_AndTheSocketServesTheNext(string message, string code)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);

        await socket.SendAsync(message);
        var failed = (await socket.ReceiveAsync())!;

        Assert.Equal(("response.steer.failed", code), ((string?)failed["type"], (string?)failed["error"]!["code"]));
        Assert.False(failed.AsObject().ContainsKey("stream_id"));
        Assert.Equal("response.incomplete", (string?)(await socket.TurnAsync(Create(new { input = "Hi", max_output_tokens = 2 })))[^1]["type"]);
    }

    [Fact]
    public async Task OnTheDemoModel_ASteeredResponsesSuccessor_AnswersAsTheSameContinuationSentOverHttp()
    {
        await using var factory = new ServerFactory(null, ResponsesRealModelTests.Settings());
        var client = await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        // The prompt's greedy answer runs to some 300 tokens by itself, so the steer meets it running.
        var turn = new { instructions = "You are a reporter.", max_output_tokens = 400, temperature = 0 };
        await socket.SendAsync(Create(new { turn.instructions, turn.max_output_tokens, turn.temperature, input = "Tell me everything about the city, street by street, and do not stop." }));
        string id = (string)(await ReceiveTypeAsync(socket, "response.created"))["response"]!["id"]!;

        await socket.SendAsync(Steer(id, "What did the court say?"));
        await ReceiveTypeAsync(socket, "response.steer.accepted");
        var steered = (await ReadToEndAsync(socket))[^1]["response"]!;
        var successor = (await ReadToEndAsync(socket))[^1]["response"]!;
        var byHand = await ResponsesEndpointTests.CreateAsync(client, new { turn.instructions, turn.max_output_tokens, turn.temperature, input = "What did the court say?", previous_response_id = id });

        // Wherever the steer stopped it (or had it ended first), its saved state is what both continue.
        Assert.True((string?)steered["status"] is "completed" || (string?)steered["incomplete_details"]!["reason"] == "steered", steered.ToJsonString());
        Assert.Equal(id, (string?)successor["previous_response_id"]);
        Assert.Equal(((string?)byHand["output"]![0]!["content"]![0]!["text"], (int)byHand["usage"]!["input_tokens_details"]!["cached_tokens"]!),
            ((string?)successor["output"]![0]!["content"]![0]!["text"], (int)successor["usage"]!["input_tokens_details"]!["cached_tokens"]!));
        Assert.True((int)successor["usage"]!["input_tokens_details"]!["cached_tokens"]! > 0, "the successor did not start from the steered response's state");
    }

    internal static JsonObject Steer(string id, object input) =>
        new() { ["type"] = "response.steer", ["previous_response_id"] = id, ["input"] = System.Text.Json.JsonSerializer.SerializeToNode(input) };

    /// <summary>Sends a create and returns its response's id once the engine holds it after its first token.</summary>
    internal static async Task<string> StartHeldAsync(ResponsesSocket socket, FakeEngine engine, object body)
    {
        await socket.SendAsync(Create(body));
        var created = await ReceiveTypeAsync(socket, "response.created");
        await engine.FirstUpdateSent;
        return (string)created["response"]!["id"]!;
    }

    /// <summary>
    /// The next event of <paramref name="type"/>; fails on any other than a response's own events, and, awaiting a steer's
    /// acceptance, on a response's end: the steers these tests send meet a running response, whose end must follow it.
    /// </summary>
    private static async Task<JsonNode> ReceiveTypeAsync(ResponsesSocket socket, string type)
    {
        while (await socket.ReceiveAsync() is { } item)
        {
            string? seen = (string?)item["type"];
            if (seen == type)
            {
                return item;
            }

            Assert.True(seen is not null && seen.StartsWith("response.", StringComparison.Ordinal) && !seen.StartsWith("response.steer", StringComparison.Ordinal),
                $"expected {type}, got {item.ToJsonString()}");
            Assert.False(type == "response.steer.accepted" && seen is "response.completed" or "response.incomplete" or "response.failed",
                $"the steered response ended before the steer's acceptance: {item.ToJsonString()}");
        }

        throw new InvalidOperationException("The server closed the socket.");
    }

    /// <summary>One response's events to its last (a steer event among them fails the test).</summary>
    private static async Task<List<JsonNode>> ReadToEndAsync(ResponsesSocket socket)
    {
        var events = await socket.ReadResponseAsync();
        Assert.All(events, e => Assert.False(((string?)e["type"])!.StartsWith("response.steer", StringComparison.Ordinal), e.ToJsonString()));
        return events;
    }
}
