using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;
using static MambaServe.Server.Tests.OpenAi.Responses.ResponsesSocketTests;
using static MambaServe.Server.Tests.OpenAi.Responses.ResponsesSocketSteeringTests;

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>
/// Steering under a random mix on one socket (three lanes; creates, forced calls, continuations of pending steers, and
/// steers valid or not, of running, ended and unknown responses, sent while responses run): every accepted steer is
/// resolved exactly once, committed by a response that continues its target or handed back by a failed event, and its
/// acceptance comes before its target's end unless that target waits for tool outputs (pending); no event is a server
/// fault, and every lane still serves.
/// </summary>
public sealed class ResponsesSocketSteeringRandomTests(ITestOutputHelper output)
{
    private static readonly string[] s_lanes = ["a", "b", "c"];
    private static readonly object s_tool = new { type = "function", name = "lookup", parameters = new { type = "object" } };

    [Fact]
    public async Task RandomSteersOnLanes_EveryAcceptedSteerIsCommittedOrHandedBack_Once()
    {
        int seed = Random.Shared.Next();
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var engine = new FakeEngine(DemoTokenizer.Instance) { StepDelay = TimeSpan.FromMilliseconds(10) };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        await using var socket = await ResponsesSocket.ConnectAsync(factory);
        var events = new ConcurrentQueue<JsonNode>();
        var responses = new ConcurrentQueue<string>();
        var pending = new ConcurrentQueue<JsonNode>();
        var finals = new ConcurrentDictionary<string, bool>();
        var reader = Task.Run(async () =>
        {
            while (finals.Count < s_lanes.Length && await socket.ReceiveAsync() is { } item)
            {
                events.Enqueue(item);
                switch ((string?)item["type"])
                {
                    case "response.created":
                        responses.Enqueue((string)item["response"]!["id"]!);
                        break;
                    case "response.steer.pending":
                        pending.Enqueue(item);
                        break;
                    case "response.completed" or "response.incomplete" when IsFinal(item):
                        finals[(string)item["stream_id"]!] = true;
                        break;
                }
            }
        });

        for (int i = 0; i < 80; i++)
        {
            string lane = s_lanes[random.Next(s_lanes.Length)];
            int action = random.Next(10);
            if (action < 3)
            {
                bool call = random.Next(3) == 0;
                await socket.SendAsync(Create(call
                    ? new { input = $"Look up {i}.", max_output_tokens = random.Next(2, 24), stream_id = lane, tools = new[] { s_tool }, tool_choice = (object)"required" }
                    : new { input = $"Tell me {i}.", max_output_tokens = random.Next(2, 24), stream_id = lane, tools = Array.Empty<object>(), tool_choice = (object)"none" }));
            }
            else if (action < 4 && pending.TryDequeue(out var wait))
            {
                var stub = wait["required_input"]![0]!;
                await socket.SendAsync(Create(new
                {
                    previous_response_id = (string)wait["steer"]!["previous_response_id"]!, stream_id = (string)wait["stream_id"]!, max_output_tokens = 3,
                    tools = new[] { s_tool }, tool_choice = "none", input = new[] { new { type = "function_call_output", call_id = (string)stub["call_id"]!, output = "found" } },
                }));
            }
            else
            {
                var known = responses.ToArray();
                string target = known.Length == 0 || random.Next(8) == 0 ? "resp_000000000000000000000000000000000000000000000000" : known[^(1 + random.Next(Math.Min(3, known.Length)))];
                object input = random.Next(6) == 0 ? new[] { new { role = "assistant", content = "No." } } : $"Steer {i}.";
                await socket.SendAsync(Steer(target, input));
            }

            await Task.Delay(random.Next(0, 6));
        }

        // A last create on each lane lets its steers waiting for tool outputs lapse; once it ends, the lane is done.
        foreach (var lane in s_lanes)
        {
            await socket.SendAsync(Create(new { input = "The end.", max_output_tokens = 2, stream_id = lane, metadata = new { final = "yes" } }));
        }

        await reader.WaitAsync(TimeSpan.FromSeconds(60));

        var accepted = new Dictionary<string, string>(); // steer id -> the response it steers
        var resolved = new Dictionary<string, string>(); // steer id -> how
        var ended = new HashSet<string>(); // responses whose last event came
        // Steers accepted once their response had ended: only a response that waits for tool outputs takes one, and
        // says so (pending).
        var acceptedAfterTheirEnd = new HashSet<string>();
        foreach (var item in events)
        {
            string type = (string)item["type"]!;
            Assert.False(type == "error" && (int)item["status"]! >= 500, item.ToJsonString());
            Assert.NotEqual("response.failed", type);
            switch (type)
            {
                case "response.completed" or "response.incomplete":
                    ended.Add((string)item["response"]!["id"]!);
                    break;
                case "response.steer.accepted":
                    string steerId = (string)item["steer"]!["id"]!, steered = (string)item["steer"]!["previous_response_id"]!;
                    accepted.Add(steerId, steered);
                    if (ended.Contains(steered))
                    {
                        acceptedAfterTheirEnd.Add(steerId);
                    }

                    break;
                case "response.steer.failed" when item["steer"]!["id"] is { } id:
                    Assert.True(accepted.ContainsKey((string)id!), $"failed before accepted: {item.ToJsonString()}");
                    Assert.True(resolved.TryAdd((string)id!, "failed"), $"resolved twice: {item.ToJsonString()}");
                    break;
                case "response.steer.pending":
                    acceptedAfterTheirEnd.Remove((string)item["steer"]!["id"]!);
                    Assert.True(accepted.ContainsKey((string)item["steer"]!["id"]!));
                    Assert.False(resolved.ContainsKey((string)item["steer"]!["id"]!));
                    break;
                case "response.created" when (string?)item["response"]!["previous_response_id"] is { } previous:
                    foreach (var (steer, target) in accepted.Where(a => a.Value == previous && !resolved.ContainsKey(a.Key)).ToList())
                    {
                        resolved.Add(steer, "committed");
                    }

                    break;
            }
        }

        output.WriteLine($"{events.Count} events, {accepted.Count} steers accepted: {resolved.Values.Count(v => v == "committed")} committed, "
            + $"{resolved.Values.Count(v => v == "failed")} handed back; {events.Count(e => (string?)e["type"] == "response.steer.pending")} pending, "
            + $"{events.Count(e => (string?)e["response"]?["incomplete_details"]?["reason"] == "steered" && (string?)e["type"] == "response.incomplete")} ended steered, {accepted.Values.Distinct().Count()} responses steered");
        Assert.Empty(accepted.Keys.Except(resolved.Keys));
        Assert.Empty(acceptedAfterTheirEnd);
        Assert.True(accepted.Count > 0, "no steer met a running response");
    }

    private static bool IsFinal(JsonNode end) => end["response"]!["metadata"] is JsonObject metadata && (string?)metadata["final"] == "yes";
}
