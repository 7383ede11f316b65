using System.Net;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>
/// <c>background: true</c>: the response is created at once and runs on without its request; GET polls it, cancel
/// stops it (stored cancelled), DELETE stops it and keeps nothing, a failure is stored failed, and a shutdown stores
/// what it had written as incomplete.
/// </summary>
public sealed class ResponsesBackgroundTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Background_AnswersAtOnce_RunsWhileHeld_ThenGetShowsItCompleted_AndItContinuesFromItsState()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true, Script = ResponsesEndpointTests.ScriptStartingWithASpace() };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        var created = await ResponsesEndpointTests.CreateAsync(client, new { input = "Hello there", max_output_tokens = 4, background = true });
        string id = (string)created["id"]!;

        Assert.Contains((string)created["status"]!, new[] { "queued", "in_progress" });
        Assert.True((bool)created["background"]!);
        Assert.Empty(created["output"]!.AsArray());
        await engine.FirstUpdateSent.WaitAsync(s_wait);
        var running = await PollAsync(client, id, status => status == "in_progress");
        Assert.True((bool)running["background"]!);
        var items = await Json.ReadAsync(await client.GetAsync($"/v1/responses/{id}/input_items"));
        Assert.Equal("Hello there", (string?)items["data"]![0]!["content"]![0]!["text"]);
        using (var early = await Json.PostAsync(client, "/v1/responses", new { input = "And then?", previous_response_id = id }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, early.StatusCode);
            Assert.Equal("previous_response_id", (string?)(await Json.ReadAsync(early))["error"]!["param"]);
        }

        engine.ReleaseAfterFirst();
        var done = await PollAsync(client, id, status => status is not ("queued" or "in_progress"));

        Assert.Equal(("incomplete", "max_output_tokens"), ((string)done["status"]!, (string?)done["incomplete_details"]!["reason"]));
        Assert.Equal(engine.TextOf(engine.TokensOf(0, 4)), (string)done["output"]![0]!["content"]![0]!["text"]!);
        Assert.Equal(4, (int)done["usage"]!["output_tokens"]!);
        var second = await ResponsesEndpointTests.CreateAsync(client, new { input = "And then?", max_output_tokens = 2, previous_response_id = id });
        Assert.NotNull(engine.Requests.Last().Start);
        Assert.True((int)second["usage"]!["input_tokens_details"]!["cached_tokens"]! > 0);
    }

    [Fact]
    public async Task Background_Cancel_StopsTheRun_StoresItCancelledWithoutState_AndASecondCancelAnswersTheSame()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string id = (string)(await ResponsesEndpointTests.CreateAsync(client, new { input = "Hello there", max_output_tokens = 8, background = true }))["id"]!;
        await engine.FirstUpdateSent.WaitAsync(s_wait);
        await PollAsync(client, id, status => status == "in_progress");

        var cancelled = await Json.ReadAsync(await client.PostAsync($"/v1/responses/{id}/cancel", null));

        await engine.Aborted.WaitAsync(s_wait);
        Assert.Equal("cancelled", (string)cancelled["status"]!);
        Assert.Equal(engine.TextOf(engine.TokensOf(0, 1)), (string)cancelled["output"]![0]!["content"]![0]!["text"]!);
        var again = await Json.ReadAsync(await client.PostAsync($"/v1/responses/{id}/cancel", null));
        Assert.Equal(cancelled.ToJsonString(), again.ToJsonString());
        Assert.Equal(cancelled.ToJsonString(), (await Json.ReadAsync(await client.GetAsync($"/v1/responses/{id}"))).ToJsonString());
        Assert.Equal(0, engine.LiveSnapshots);

        engine.ReleaseAfterFirst();
        var continued = await ResponsesEndpointTests.CreateAsync(client, new { input = "Go on.", max_output_tokens = 2, previous_response_id = id });
        Assert.Null(engine.Requests.Last().Start);
        Assert.Equal(0, (int)continued["usage"]!["input_tokens_details"]!["cached_tokens"]!);
    }

    [Fact]
    public async Task Background_DeleteWhileRunning_StopsItAndKeepsNothing()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string id = (string)(await ResponsesEndpointTests.CreateAsync(client, new { input = "Hello there", max_output_tokens = 8, background = true }))["id"]!;
        await engine.FirstUpdateSent.WaitAsync(s_wait);

        using var deleted = await client.DeleteAsync($"/v1/responses/{id}");

        Assert.True((bool)(await Json.ReadAsync(deleted))["deleted"]!);
        await engine.Aborted.WaitAsync(s_wait);
        using var gone = await client.GetAsync($"/v1/responses/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal(0, engine.LiveSnapshots);
    }

    [Fact]
    public async Task Background_EngineFailure_IsStoredFailedWithTheError()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { FailAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string id = (string)(await ResponsesEndpointTests.CreateAsync(client, new { input = "Hello there", max_output_tokens = 8, background = true }))["id"]!;

        var failed = await PollAsync(client, id, status => status is not ("queued" or "in_progress"));

        Assert.Equal("failed", (string)failed["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)failed["error"]!["message"]));
        Assert.Equal(0, engine.LiveSnapshots);
    }

    /// <summary>
    /// Many background responses at once, streamed and not, a third cancelled and a third deleted while they run: every
    /// one ends, none is left running, and once every stored one is deleted no saved state is left alive.
    /// </summary>
    [Fact]
    public async Task Background_ManyAtOnce_CancelledDeletedOrDone_LeaveNothingBehind()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var ids = await Task.WhenAll(Enumerable.Range(0, 24).Select(async i =>
            (string)(await ResponsesEndpointTests.CreateAsync(client, new { input = $"Hello {i}", max_output_tokens = 4, background = true }))["id"]!));
        await engine.FirstUpdateSent.WaitAsync(s_wait);

        var stops = ids.Select((id, i) => (i % 3) switch
        {
            0 => client.PostAsync($"/v1/responses/{id}/cancel", null),
            1 => client.DeleteAsync($"/v1/responses/{id}"),
            _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)),
        }).ToArray();
        engine.ReleaseAfterFirst();
        var answers = await Task.WhenAll(stops);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var ended = new List<string>();
        for (int i = 0; i < ids.Length; i++)
        {
            if (i % 3 == 1)
            {
                using var gone = await client.GetAsync($"/v1/responses/{ids[i]}");
                Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
                continue;
            }

            var final = await PollAsync(client, ids[i], status => status is not ("queued" or "in_progress"));
            ended.Add((string)final["status"]!);
            (await client.DeleteAsync($"/v1/responses/{ids[i]}")).EnsureSuccessStatusCode();
        }

        Assert.Equal(16, ended.Count);
        Assert.All(ended, status => Assert.Contains(status, new[] { "cancelled", "incomplete" }));
        Assert.Equal(0, engine.LiveSnapshots);
    }

    [Fact]
    public async Task Cancel_OfAResponseNotMadeInBackground_Is400_AndOfAnUnknownOrAnotherKeysResponse_Is404()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:ApiKeys:0"] = "sk-alice", ["MambaServe:Server:ApiKeys:1"] = "sk-bob" };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance, settings: settings);
        var alice = await ResponsesEndpointTests.Authorized(factory, "sk-alice");
        var bob = await ResponsesEndpointTests.Authorized(factory, "sk-bob");
        engine.ReleaseAfterFirst();
        string foreground = (string)(await ResponsesEndpointTests.CreateAsync(alice, new { input = "Hi", max_output_tokens = 2 }))["id"]!;
        using (var refused = await alice.PostAsync($"/v1/responses/{foreground}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        string background = (string)(await ResponsesEndpointTests.CreateAsync(alice, new { input = "Hi", max_output_tokens = 2, background = true }))["id"]!;
        foreach (var (client, path) in new[] { (bob, $"/v1/responses/{background}/cancel"), (alice, "/v1/responses/resp_nope/cancel") })
        {
            using var response = await client.PostAsync(path, null);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using var bobGet = await bob.GetAsync($"/v1/responses/{background}");
        Assert.Equal(HttpStatusCode.NotFound, bobGet.StatusCode);
    }

    /// <summary>
    /// A real server process (the in-process test server aborts a GET whose body it has not read): the demo model held
    /// to a schema it cannot finish soon, so the answer runs until it is cancelled.
    /// </summary>
    [Fact]
    public async Task Background_Streamed_RunsOnWhenItsClientLeaves_GetFollowsItFromTheLastEventSeen_AndCancelEndsTheStream()
    {
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>());
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = s_wait * 2 };
        string id;
        int seen;
        var text = new System.Text.StringBuilder();
        using (var creating = await PostStreamAsync(client, """
            {"input":"Count.","max_output_tokens":100000,"background":true,"stream":true,
             "text":{"format":{"type":"json_schema","name":"numbers","schema":{"type":"array","items":{"type":"integer"},"minItems":100000}}}}
            """))
        {
            using var reader = new StreamReader(await creating.Content.ReadAsStreamAsync());
            id = (string)(await NextEventAsync(reader, "response.created"))["response"]!["id"]!;
            JsonNode delta = null!;
            for (int i = 0; i < 5; i++)
            {
                delta = await NextEventAsync(reader, "response.output_text.delta");
                text.Append((string)delta["delta"]!);
            }

            seen = (int)delta["sequence_number"]!;
        }

        // The client has gone; the response has not: it is followed from the last event the client had.
        using var following = await client.GetAsync($"/v1/responses/{id}?stream=true&starting_after={seen}", HttpCompletionOption.ResponseHeadersRead);
        using var followed = new StreamReader(await following.Content.ReadAsStreamAsync());
        var events = new List<JsonNode>();
        while (events.Count < 20)
        {
            events.Add(await NextEventAsync(followed, "response.output_text.delta"));
        }

        using var cancel = await client.PostAsync($"/v1/responses/{id}/cancel", null);
        var cancelled = await Json.ReadAsync(cancel);
        while (await NextEventOrEndAsync(followed, "response.output_text.delta") is { } more)
        {
            events.Add(more);
        }

        Assert.Equal(Enumerable.Range(seen + 1, events.Count), events.Select(e => (int)e["sequence_number"]!));
        Assert.Equal("cancelled", (string)cancelled["status"]!);
        text.Append(string.Concat(events.Select(e => (string)e["delta"]!)));
        Assert.Equal(text.ToString(), (string)cancelled["output"]![0]!["content"]![0]!["text"]!);
        using var ended = await client.GetAsync($"/v1/responses/{id}?stream=true");
        Assert.Equal(HttpStatusCode.BadRequest, ended.StatusCode);
        Assert.Empty(server.ErrorLines);
    }

    [Theory]
    [InlineData("?stream=yes", "stream")]
    [InlineData("?starting_after=3", "starting_after")]
    [InlineData("?stream=true&starting_after=-2", "starting_after")]
    [InlineData("?stream=true&starting_after=x", "starting_after")]
    [InlineData("?stream=true", "stream")]
    public async Task Get_BadStreamQuery_OrAResponseNotStreamedInBackground_Is400(string query, string param)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        string id = (string)(await ResponsesEndpointTests.CreateAsync(client, new { input = "Hi", max_output_tokens = 4, background = true }))["id"]!;

        using var response = await client.GetAsync($"/v1/responses/{id}{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, (string?)(await Json.ReadAsync(response))["error"]!["param"]);
        engine.ReleaseAfterFirst();
    }

    /// <summary>The real engine, stopped mid-answer: the restarted server, on the same state directory, shows what was written as incomplete.</summary>
    [Fact]
    public async Task Background_RunningAtShutdown_IsStoredIncompleteBeforeTheStoreCloses()
    {
        string directory = Directory.CreateTempSubdirectory("msv-background-").FullName;
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["MambaServe:StateStore:Directory"] = directory,
                ["MambaServe:Scheduler:ShutdownGracePeriod"] = "00:00:00.200",
            };
            string id;
            await using (var factory = ServerFactory.WithDemoModel(2, settings))
            {
                var client = await factory.CreateReadyClientAsync();
                // A schema that no answer can finish soon: the answer is still running when the server stops.
                var endless = new { format = new { type = "json_schema", name = "numbers", schema = new { type = "array", items = new { type = "integer" }, minItems = 100000 } } };
                id = (string)(await ResponsesEndpointTests.CreateAsync(client, new { input = "Count.", max_output_tokens = 100000, background = true, text = endless }))["id"]!;
                await PollAsync(client, id, status => status == "in_progress");
            }

            await using var restarted = ServerFactory.WithDemoModel(2, settings);
            var again = await restarted.CreateReadyClientAsync();
            var stored = await Json.ReadAsync(await again.GetAsync($"/v1/responses/{id}"));

            Assert.Equal(("incomplete", "interrupted"), ((string?)stored["status"], (string?)stored["incomplete_details"]?["reason"]));
            Assert.InRange((int)stored["usage"]!["output_tokens"]!, 1, 99999);
            Assert.False(string.IsNullOrEmpty((string?)stored["output"]![0]!["content"]![0]!["text"]));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Reads server-sent events until one of <paramref name="type"/>; returns its data.</summary>
    private static async Task<JsonNode> NextEventAsync(StreamReader reader, string type) =>
        await NextEventOrEndAsync(reader, type) ?? throw new InvalidOperationException($"The stream ended before a {type} event.");

    /// <summary>The data of the next event of <paramref name="type"/>, or null when the stream ends first.</summary>
    private static async Task<JsonNode?> NextEventOrEndAsync(StreamReader reader, string type)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal) && Json.Parse(line["data: ".Length..]) is { } data && (string?)data["type"] == type)
            {
                return data;
            }
        }

        return null;
    }

    private static async Task<HttpResponseMessage> PostStreamAsync(HttpClient client, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    internal static async Task<JsonNode> PollAsync(HttpClient client, string id, Func<string, bool> until)
    {
        var deadline = DateTime.UtcNow + s_wait;
        while (true)
        {
            using var response = await client.GetAsync($"/v1/responses/{id}");
            var body = await Json.ReadAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
            if (until((string)body["status"]!))
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"still {(string)body["status"]!} after {s_wait}");
            await Task.Delay(20);
        }
    }
}
