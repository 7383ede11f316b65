using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>
/// Many requests against the real server process: completions, chat, Responses (unstored, and stored as turns of
/// conversations of the Conversations API, two turns each, often running at once), Responses WebSockets (two unstored
/// turns each, the second on the state the socket holds; <see cref="SoakSocketRun"/>) and Anthropic's messages, streamed
/// and not, n up to 3 (completions and chat), a tenth cancelled by the client at a random moment and some streams
/// dropped after their first chunk. None may get a 5xx, hang or end incomplete; every completed turn is in its
/// conversation; afterwards the server is healthy, logged no error and holds no state slot.
/// MAMBASERVE_SOAK_REQUESTS sets the count (10,000 by default), MAMBASERVE_SOAK_SEED replays a run.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class SoakTests(RealServerFixture fixture, ITestOutputHelper output)
{
    private static readonly string[] s_prompts = ["Once upon a time", "The little dog", "She opened the door and", "In the morning", "Tom said"];

    private enum Outcome { Completed, Cancelled, Failed }

    private enum Route { Completions, Chat, Responses, Messages, Conversation, Socket }

    // Two turns a conversation keep its whole rendering (prefilled when concurrent turns break the state's prefix)
    // under the test server's 64-token prompt limit.
    private const int TurnsPerConversation = 2;

    [Fact]
    public async Task Soak_MixedRequestsWithCancellations_NoneLostAndTheServerEndsIdle()
    {
        int seed = RealServerSettings.Int("MAMBASERVE_SOAK_SEED", Random.Shared.Next());
        int count = RealServerSettings.Int("MAMBASERVE_SOAK_REQUESTS", 10_000);
        int concurrency = RealServerSettings.Int("MAMBASERVE_SOAK_CONCURRENCY", 16);
        output.WriteLine($"soak seed {seed}: {count} requests, {concurrency} at a time (replay: MAMBASERVE_SOAK_SEED={seed})");
        var server = fixture.Server;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = server.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var random = new Random(seed);
        var conversations = new string[count / 5 / TurnsPerConversation + 8];
        for (int i = 0; i < conversations.Length; i++)
        {
            using var created = await http.PostAsync("/v1/conversations", new StringContent("{}", Encoding.UTF8, "application/json"));
            conversations[i] = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        }

        int turn = 0;
        string NextTurn() => conversations[turn++ / TurnsPerConversation % conversations.Length];
        var plans = Enumerable.Range(0, count).Select(i => (Index: i, Plan: SoakPlan.Draw(random, NextTurn)));
        var turns = new ConcurrentDictionary<string, int>();
        var outcomes = new ConcurrentDictionary<Outcome, int>();
        var failures = new ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();

        await Parallel.ForEachAsync(plans, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (item, _) =>
        {
            var (outcome, problem) = await RunAsync(http, item.Plan);
            outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
            if (item.Plan.Conversation is { } conversation)
            {
                turns.AddOrUpdate(conversation, outcome == Outcome.Completed ? 1 : 0, (_, n) => n + (outcome == Outcome.Completed ? 1 : 0));
            }

            if (problem is not null)
            {
                failures.Enqueue($"#{item.Index} {item.Plan}: {problem}");
            }
        });

        output.WriteLine($"{count} requests in {clock.Elapsed.TotalSeconds:F1} s: {string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))}");
        Assert.True(failures.IsEmpty, $"seed {seed}: {failures.Count} requests failed, first ones:\n{string.Join('\n', failures.Take(10))}\nserver:\n{server.Tail}");
        Assert.Equal(count, outcomes.Values.Sum());
        await AssertTurnsKeptAsync(http, turns);
        await AssertIdleAndHealthyAsync(http, server, seed, outcomes.GetValueOrDefault(Outcome.Completed));
    }

    private static async Task<(Outcome, string?)> RunAsync(HttpClient http, SoakPlan plan)
    {
        using var cts = new CancellationTokenSource();
        if (plan.CancelAfterMs is { } cancelAfter)
        {
            cts.CancelAfter(cancelAfter);
        }

        // A hung request is a failure, not a stuck test.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(120));
        try
        {
            if (plan.Route == Route.Socket)
            {
                string temperature = plan.Temperature.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var failure = await SoakSocketRun.RunAsync(http.BaseAddress!, plan.Prompt, plan.MaxTokens, temperature, plan.DropAfterFirstChunk, deadline.Token);
                return (failure is not null ? Outcome.Failed : plan.DropAfterFirstChunk ? Outcome.Cancelled : Outcome.Completed, failure);
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, plan.Path)
            {
                Content = new StringContent(plan.Body(), Encoding.UTF8, "application/json"),
            };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (Outcome.Failed, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(deadline.Token)}");
            }

            if (plan.Stream && plan.DropAfterFirstChunk)
            {
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(deadline.Token));
                var first = await reader.ReadLineAsync(deadline.Token);
                bool started = first?.StartsWith("data: ", StringComparison.Ordinal) == true || first?.StartsWith("event: ", StringComparison.Ordinal) == true;
                return started ? (Outcome.Cancelled, null) : (Outcome.Failed, $"first line {first}");
            }

            var body = await response.Content.ReadAsStringAsync(deadline.Token);
            var problem = plan.Route switch
            {
                Route.Responses or Route.Messages or Route.Conversation => plan.Stream ? EventStreamProblem(plan, body) : EndedProblem(plan, body),
                _ => plan.Stream ? StreamProblem(plan, body) : ResponseProblem(plan, body),
            };
            return (problem is null ? Outcome.Completed : Outcome.Failed, problem);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return (Outcome.Cancelled, null);
        }
        catch (OperationCanceledException)
        {
            return (Outcome.Failed, "no complete answer within 120 s (hung)");
        }
        catch (HttpRequestException ex) when (cts.IsCancellationRequested)
        {
            return (Outcome.Cancelled, ex.Message);
        }
        catch (HttpRequestException ex)
        {
            return (Outcome.Failed, $"connection failed: {ex.Message}");
        }
        catch (WebSocketException ex) when (cts.IsCancellationRequested)
        {
            return (Outcome.Cancelled, ex.Message);
        }
        catch (WebSocketException ex)
        {
            return (Outcome.Failed, $"socket failed: {ex.Message}");
        }
    }

    // Every choice present with a finish reason, usage counted.
    private static string? ResponseProblem(SoakPlan plan, string body)
    {
        using var document = JsonDocument.Parse(body);
        var choices = document.RootElement.GetProperty("choices");
        var finished = choices.EnumerateArray().Count(c => c.GetProperty("finish_reason").GetString() is "stop" or "length");
        return choices.GetArrayLength() == plan.N && finished == plan.N && document.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32() > 0
            ? null : $"incomplete answer: {body}";
    }

    // Every choice ends with a finish reason, then [DONE].
    private static string? StreamProblem(SoakPlan plan, string body)
    {
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        if (events.Length == 0 || events[^1] != "data: [DONE]")
        {
            return $"stream without [DONE]: {body}";
        }

        var finished = new HashSet<int>();
        foreach (var e in events[..^1])
        {
            using var chunk = JsonDocument.Parse(e["data: ".Length..]);
            if (chunk.RootElement.TryGetProperty("error", out _))
            {
                return $"error event: {e}";
            }

            foreach (var choice in chunk.RootElement.GetProperty("choices").EnumerateArray())
            {
                if (choice.GetProperty("finish_reason").GetString() is "stop" or "length")
                {
                    finished.Add(choice.GetProperty("index").GetInt32());
                }
            }
        }

        return finished.Count == plan.N ? null : $"{finished.Count} of {plan.N} choices finished: {body}";
    }

    // A Response that completed (or stopped at its budget), or a Message with its stop reason and usage.
    private static string? EndedProblem(SoakPlan plan, string body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        bool ended = plan.Route is Route.Responses or Route.Conversation
            ? root.GetProperty("status").GetString() is "completed" or "incomplete" && root.GetProperty("usage").GetProperty("input_tokens").GetInt32() > 0
            : root.GetProperty("stop_reason").GetString() is "end_turn" or "max_tokens" && root.GetProperty("usage").GetProperty("input_tokens").GetInt32() > 0;
        return ended ? null : $"incomplete answer: {body}";
    }

    // Named events ending with the route's last event (response.completed / .incomplete; message_stop), no error event.
    private static string? EventStreamProblem(SoakPlan plan, string body)
    {
        var types = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split('\n')[0]).ToList();
        if (types.Any(t => t is "event: error" or "event: response.failed"))
        {
            return $"error event: {body}";
        }

        string[] last = plan.Route is Route.Responses or Route.Conversation ? ["event: response.completed", "event: response.incomplete"] : ["event: message_stop"];
        return types.Count > 0 && last.Contains(types[^1]) ? null : $"stream without its last event: {body}";
    }

    /// <summary>Each completed turn appended its input and its output (a cancelled one may have too, when it ended first).</summary>
    private static async Task AssertTurnsKeptAsync(HttpClient http, ConcurrentDictionary<string, int> completed)
    {
        foreach (var (conversation, turns) in completed)
        {
            int items = 0;
            string? after = null;
            bool more = true;
            while (more)
            {
                using var page = JsonDocument.Parse(await http.GetStringAsync($"/v1/conversations/{conversation}/items?limit=100{(after is null ? "" : $"&after={after}")}"));
                items += page.RootElement.GetProperty("data").GetArrayLength();
                more = page.RootElement.GetProperty("has_more").GetBoolean();
                after = page.RootElement.GetProperty("last_id").GetString();
            }

            Assert.True(items >= 2 * turns && items % 2 == 0, $"conversation {conversation}: {items} items after {turns} completed turns");
        }
    }

    private static async Task AssertIdleAndHealthyAsync(HttpClient http, ServerProcess server, int seed, int completed)
    {
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);

        // Aborts are acted on at the engine's next step and gauges published after it: poll, bounded.
        string metrics = string.Empty;
        for (int i = 0; i < 300; i++)
        {
            metrics = await http.GetStringAsync("/metrics");
            if (Prometheus.Sum(metrics, "mambaserve_state_pool_slots_in_use") == 0 && Prometheus.Sum(metrics, "mambaserve_scheduler_running") == 0
                && Prometheus.Sum(metrics, "mambaserve_scheduler_waiting") == 0)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.True(Prometheus.Sum(metrics, "mambaserve_state_pool_slots_in_use") == 0, $"seed {seed}: state slots still in use:\n{metrics}");
        Assert.Equal(0, Prometheus.Sum(metrics, "mambaserve_scheduler_running"));
        Assert.Equal(0, Prometheus.Sum(metrics, "mambaserve_scheduler_waiting"));
        Assert.True(Prometheus.Sum(metrics, "gen_ai_server_request_duration_seconds_count") >= completed);
        Assert.False(server.HasExited);
        Assert.True(server.ErrorLines.Count == 0, $"seed {seed}: the server logged errors:\n{string.Join('\n', server.ErrorLines.Take(60))}");
    }

    /// <summary>One soak request, drawn from the run's random stream.</summary>
    private sealed record SoakPlan(
        Route Route, bool Stream, int N, int MaxTokens, string Prompt, double Temperature, int Seed, int? CancelAfterMs, bool DropAfterFirstChunk, string? Conversation)
    {
        public string Path => Route switch
        {
            Route.Chat => "/v1/chat/completions",
            Route.Responses or Route.Conversation => "/v1/responses",
            Route.Messages => "/v1/messages",
            _ => "/v1/completions",
        };

        public static SoakPlan Draw(Random random, Func<string> nextTurn)
        {
            bool stream = random.Next(2) == 0;
            int cancel = random.Next(20);
            var route = (Route)random.Next(6);
            return new SoakPlan(
                Route: route,
                Stream: stream,
                N: route is Route.Completions or Route.Chat && random.Next(4) == 0 ? random.Next(2, 4) : 1,
                MaxTokens: random.Next(1, 7),
                Prompt: s_prompts[random.Next(s_prompts.Length)],
                Temperature: Math.Round(random.NextDouble() * (route == Route.Messages ? 1.0 : 1.2), 2),
                Seed: random.Next(),
                CancelAfterMs: cancel < 2 ? random.Next(0, 40) : null,
                DropAfterFirstChunk: stream && cancel == 2,
                Conversation: route == Route.Conversation ? nextTurn() : null);
        }

        public string Body()
        {
            string temperature = Temperature.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string stream = Stream ? "true" : "false";
            string user = $"{{\"role\":\"user\",\"content\":\"{Prompt}\"}}";
            return Route switch
            {
                // Responses are not stored here: the soak watches the engine, not the state store.
                Route.Responses => $"{{\"input\":[{user}],\"max_output_tokens\":{MaxTokens},\"temperature\":{temperature},\"store\":false,\"stream\":{stream}}}",
                // Stored: a turn of a conversation restores the state of the conversation's last stored response.
                Route.Conversation => $"{{\"input\":[{user}],\"conversation\":\"{Conversation}\",\"max_output_tokens\":{MaxTokens},\"temperature\":{temperature},\"stream\":{stream}}}",
                Route.Messages => $"{{\"messages\":[{user}],\"max_tokens\":{MaxTokens},\"temperature\":{temperature},\"stream\":{stream}}}",
                Route.Chat => $"{{\"messages\":[{user}],\"max_tokens\":{MaxTokens},\"n\":{N},\"temperature\":{temperature},\"seed\":{Seed},\"stream\":{stream}}}",
                _ => $"{{\"prompt\":\"{Prompt}\",\"max_tokens\":{MaxTokens},\"n\":{N},\"temperature\":{temperature},\"seed\":{Seed},\"stream\":{stream}}}",
            };
        }
    }
}
