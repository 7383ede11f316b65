using System.Text.Json.Nodes;
using MambaServe.Server.OpenAi;
using MambaServe.Server.OpenAi.Responses;
using MambaServe.Server.Tests.Infrastructure;
using static MambaServe.Server.Tests.OpenAi.Responses.ResponsesSocketTests;

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>
/// Lanes of the Responses WebSocket (OpenAI's stream_id multiplexing): responses on one lane run in the order sent,
/// lanes run at once, every event and error of a lane's response carries its stream_id, a lane forks another's
/// unstored response, and the socket's limits on lanes and on what waits on one hold (a response counting until its last
/// event).
/// </summary>
public sealed class ResponsesSocketLanesTests
{
    [Fact]
    public async Task TwoCreatesOnOneLane_RunInTheOrderSent_TheSecondAfterTheFirstEnds()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        await socket.SendAsync(Create(new { input = "First", max_output_tokens = 3 }));
        await engine.FirstUpdateSent;

        await socket.SendAsync(Create(new { input = "Second", max_output_tokens = 2 }));
        await Task.Delay(300);
        Assert.Single(engine.Requests); // the second waits for the first, held by the engine
        engine.ReleaseAfterFirst();

        var events = await ReadResponsesAsync(socket, 2);
        var ends = events.Select((e, i) => (Type: (string?)e["type"], i)).Where(e => e.Type == "response.incomplete").Select(e => e.i).ToList();
        int secondCreated = events.FindIndex(1, e => (string?)e["type"] == "response.created");
        Assert.True(ends[0] < secondCreated, "the second response began before the first ended");
        Assert.All(events, e => Assert.False(e.AsObject().ContainsKey("stream_id"))); // the default lane names none
        Assert.Contains("First", DemoTokenizer.Instance.Decode(engine.Requests.First().PromptTokens), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoLanes_RunAtOnce_AndEveryEventCarriesItsLane()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);

        await socket.SendAsync(Create(new { input = "On lane a", max_output_tokens = 3, stream_id = "a" }));
        await socket.SendAsync(Create(new { input = "On lane b", max_output_tokens = 2, stream_id = "b.2" }));
        await WaitUntilAsync(() => engine.Requests.Count == 2); // both run while the engine holds the first
        engine.ReleaseAfterFirst();

        var events = await ReadResponsesAsync(socket, 2);
        var byLane = events.GroupBy(e => (string?)e["stream_id"]).ToDictionary(g => g.Key ?? "(none)", g => g.ToList());
        Assert.Equal(["a", "b.2"], byLane.Keys.Order());
        foreach (var lane in byLane.Values)
        {
            Assert.Equal(Enumerable.Range(0, lane.Count), lane.Select(e => (int)e["sequence_number"]!));
            Assert.Equal(("response.created", "response.incomplete"), ((string?)lane[0]["type"], (string?)lane[^1]["type"]));
        }

        Assert.NotEqual(IdOf(byLane["a"]), IdOf(byLane["b.2"]));
    }

    [Fact]
    public async Task ANewLane_ForksAnothersUnstoredResponse_AndBothGoOnFromItsState()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { Script = ResponsesEndpointTests.ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        var root = await socket.TurnAsync(Create(new { input = "Hello there", store = false, max_output_tokens = 3, stream_id = "main" }));

        var fork = await socket.TurnAsync(Create(new { input = "Try another way.", store = false, max_output_tokens = 2, stream_id = "fork", previous_response_id = IdOf(root) }));
        Assert.NotNull(engine.Requests.Last().Start);
        var onward = await socket.TurnAsync(Create(new { input = "Go on.", store = false, max_output_tokens = 2, stream_id = "main", previous_response_id = IdOf(root) }));
        Assert.NotNull(engine.Requests.Last().Start);

        Assert.All(fork, e => Assert.Equal("fork", (string?)e["stream_id"]));
        Assert.Equal(IdOf(root), (string?)fork[^1]["response"]!["previous_response_id"]);
        Assert.Equal("response.incomplete", (string?)onward[^1]["type"]);
        // Each lane holds its latest: the fork's answer goes on too, while "main" has moved past the root.
        var forkOnward = await socket.TurnAsync(Create(new { input = "More.", store = false, max_output_tokens = 2, stream_id = "fork", previous_response_id = IdOf(fork) }));
        Assert.Equal("response.incomplete", (string?)forkOnward[^1]["type"]);
        var rootAgain = await socket.TurnAsync(Create(new { input = "Again.", store = false, max_output_tokens = 2, stream_id = "other", previous_response_id = IdOf(root) }));
        AssertError(rootAgain, 400, "previous_response_not_found", "previous_response_id");
        Assert.Equal("other", (string?)rootAgain[0]["stream_id"]);
    }

    [Fact]
    public async Task ABadCreateOnALane_IsAnErrorOnThatLane_AndTheLaneServesTheNext()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);

        var error = await socket.TurnAsync(Create(new { input = "Hi", max_output_tokens = "many", stream_id = "x" }));

        AssertError(error, 400, null, "max_output_tokens");
        Assert.Equal("x", (string?)error[0]["stream_id"]);
        var next = await socket.TurnAsync(Create(new { input = "Hi", max_output_tokens = 2, stream_id = "x" }));
        Assert.Equal(("response.incomplete", "x"), ((string?)next[^1]["type"], (string?)next[^1]["stream_id"]));
    }

    [Fact]
    public async Task ALaneBeyondTheSocketsLimit_IsRefused_AndTheLanesInUseGoOn()
    {
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:MaxSocketStreams"] = "2" };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        await socket.TurnAsync(Create(new { input = "Hi", max_output_tokens = 2 }));
        await socket.TurnAsync(Create(new { input = "Hi", max_output_tokens = 2, stream_id = "one" }));

        var refused = await socket.TurnAsync(Create(new { input = "Hi", max_output_tokens = 2, stream_id = "two" }));

        AssertError(refused, 400, "too_many_streams", "stream_id");
        Assert.Equal("two", (string?)refused[0]["stream_id"]);
        Assert.Equal("response.incomplete", (string?)(await socket.TurnAsync(Create(new { input = "Hi", max_output_tokens = 2, stream_id = "one" })))[^1]["type"]);
    }

    [Fact]
    public async Task ACreateBeyondTheSocketsQueue_IsRefused_OnItsLane_AndWhatRunsFinishes()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:MaxSocketPending"] = "1" };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance, settings: settings);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        await socket.SendAsync(Create(new { input = "Hello", max_output_tokens = 3, stream_id = "q" }));
        await engine.FirstUpdateSent;

        await socket.SendAsync(Create(new { input = "Meanwhile", max_output_tokens = 3, stream_id = "r" })); // another lane: the bound is the socket's
        var (refused, events) = await AnswerWhileHeldAsync(socket, engine, "error");

        AssertError([refused], 429, "socket_queue_full", null);
        Assert.Equal("r", (string?)refused["stream_id"]);
        Assert.Single(engine.Requests);
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => (int)e["sequence_number"]!));
    }

    [Fact]
    public async Task ACreateSentTheMomentTheLanesResponseEnds_IsAdmitted_AtTheSocketsBound()
    {
        // One response in flight at most: a client that sends each create the moment the previous response's last event
        // arrives has nothing in flight by then, though that response's task may still be winding down on the server
        // (which, counted until its task ended, refused about one create in three thousand here).
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:MaxSocketPending"] = "1" };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        var create = Create(new { input = "Turn", max_output_tokens = 2, stream_id = "a" });

        int ended = 0;
        await socket.SendAsync(create);
        while (ended < 1000 && await socket.ReceiveAsync() is { } item)
        {
            Assert.True((string?)item["type"] != "error", $"after {ended} turns: {item.ToJsonString()}");
            if ((string?)item["type"] is "response.completed" or "response.incomplete")
            {
                ended++;
                await socket.SendAsync(create);
            }
        }

        Assert.Equal(1000, ended);
    }

    [Fact]
    public async Task AResponse_CountsTowardTheBound_UntilItsLastEvent_OrElseUntilItsTaskEnds()
    {
        var lanes = new ResponseSocketLanes(maxStreams: 4, maxPending: 1);
        var windingDown = new TaskCompletionSource();
        var lastEventSent = new TaskCompletionSource();
        lanes.Admit("a").Enqueue(async lastEvent =>
        {
            lastEvent();
            lastEvent(); // once is what counts
            lastEventSent.SetResult();
            await windingDown.Task;
        });
        await lastEventSent.Task;

        // Past its last event, still winding down: the next create is admitted, and queues behind it on its lane.
        var next = new TaskCompletionSource();
        var lane = lanes.Admit("a");
        lane.Enqueue(async _ => await next.Task);
        // That one has not reached its last event: the bound holds.
        var refused = Assert.Throws<ApiException>(() => lanes.Admit("b"));
        Assert.Equal((429, "socket_queue_full"), (refused.Status, refused.Code));

        // Each was counted out once (the first at its last event, called twice; the second as its task ended without
        // one, as an error or a dropped socket ends it): nothing is left, and nothing below zero lets two in.
        windingDown.SetResult();
        next.SetResult();
        await lanes.AllAsync();
        var held = new TaskCompletionSource();
        lanes.Admit("b").Enqueue(async _ => await held.Task);
        Assert.Throws<ApiException>(() => lanes.Admit("c"));
        held.SetResult();
        await lanes.AllAsync();
        lanes.Admit("c").Enqueue(_ => Task.CompletedTask);
    }

    /// <summary>
    /// While the engine holds the running response: the answer of type <paramref name="answerType"/> to the message sent
    /// meanwhile (then the engine lets the response go on), and the response's events to its end.
    /// </summary>
    private static async Task<(JsonNode Answer, List<JsonNode> Events)> AnswerWhileHeldAsync(ResponsesSocket socket, FakeEngine engine, string answerType)
    {
        JsonNode? answer = null;
        var events = new List<JsonNode>();
        while (await socket.ReceiveAsync() is { } item)
        {
            if ((string?)item["type"] == answerType)
            {
                answer = item;
                engine.ReleaseAfterFirst();
                continue;
            }

            events.Add(item);
            if ((string?)item["type"] == "response.incomplete")
            {
                break;
            }
        }

        Assert.NotNull(answer);
        return (answer, events);
    }

    /// <summary>Events until <paramref name="count"/> responses have ended (any lane).</summary>
    private static async Task<List<JsonNode>> ReadResponsesAsync(ResponsesSocket socket, int count)
    {
        var events = new List<JsonNode>();
        while (count > 0 && await socket.ReceiveAsync() is { } item)
        {
            events.Add(item);
            if ((string?)item["type"] is "error" or "response.completed" or "response.incomplete" or "response.failed")
            {
                count--;
            }
        }

        return events;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); !condition(); await Task.Delay(20))
        {
            Assert.True(wait.Elapsed < TimeSpan.FromSeconds(30), "timed out");
        }
    }
}
