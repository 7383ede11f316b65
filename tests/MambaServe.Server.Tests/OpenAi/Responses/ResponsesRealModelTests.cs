using System.Net;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;
using static MambaServe.Server.Tests.OpenAi.Responses.ResponsesEndpointTests;

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>Continuing the demo model's conversations from saved states, against sending the whole conversation.</summary>
public sealed class ResponsesRealModelTests
{
    private static readonly string[] s_turns =
    [
        "Tell me about the jury.", "What did the court say?", "And the city?", "Who was there?", "Why did they go home?",
        "What happened next?", "Was the mayor pleased?", "Tell me more.",
    ];

    internal static Dictionary<string, string?> Settings(string? directory = null) => new()
    {
        ["MambaServe:Model:Path"] = TestPaths.DemoModel,
        ["MambaServe:Model:Threads"] = "1",
        ["MambaServe:StatePool:SlotCount"] = "4",
        ["MambaServe:Scheduler:MaxRunningSequences"] = "4",
        ["MambaServe:StateStore:Directory"] = directory,
    };

    [Fact]
    public async Task Continue_DemoModelFourTurns_SameGreedyOutputAsTheWholeConversationThroughChat()
    {
        await using var factory = new ServerFactory(null, Settings());
        var client = await factory.CreateReadyClientAsync();
        const string instructions = "You are a reporter.";
        var messages = new List<object> { new { role = "system", content = instructions } };
        string? previous = null;
        int context = 0;
        // A reproducible draw (MAMBASERVE_RESPONSES_SEED replays others; seeds 1-12 pass). One unseeded draw in CI gave
        // input_tokens one above the resend's prompt_tokens with the same text, not reproduced since: suspected, a
        // generated answer whose tokens are not the tokenizer's encoding of its text.
        var rng = new Random(int.TryParse(Environment.GetEnvironmentVariable("MAMBASERVE_RESPONSES_SEED"), out int seed) ? seed : 1);
        foreach (var input in s_turns.OrderBy(_ => rng.Next()).Take(4))
        {
            int maxTokens = rng.Next(5, 14);
            var response = await CreateAsync(client, new { input, instructions, previous_response_id = previous, max_output_tokens = maxTokens, temperature = 0 });
            messages.Add(new { role = "user", content = input });
            var chat = await ChatAsync(client, messages, maxTokens);

            string text = (string)response["output"]![0]!["content"]![0]!["text"]!;
            Assert.Equal((string)chat["choices"]![0]!["message"]!["content"]!, text);
            var usage = response["usage"]!;
            Assert.Equal(context, (int)usage["input_tokens_details"]!["cached_tokens"]!);
            Assert.Equal((int)chat["usage"]!["prompt_tokens"]!, (int)usage["input_tokens"]!);
            context = (int)usage["input_tokens"]! + (int)usage["output_tokens"]! - 1;
            messages.Add(new { role = "assistant", content = text });
            previous = (string)response["id"]!;
        }
    }

    [Fact]
    public async Task Continue_AfterRestartWithAStateDirectory_ContinuesFromDisk()
    {
        using var directory = new TempDirectory();
        var log = new CollectingSink();
        string id;
        JsonNode first;
        await using (var factory = new ServerFactory(null, Settings(directory.Path)) { TestServices = s => s.AddSingleton<ILogEventSink>(log) })
        {
            first = await CreateAsync(await factory.CreateReadyClientAsync(), new { input = "Tell me about the jury.", max_output_tokens = 6, temperature = 0 });
            id = (string)first["id"]!;
        }

        // The factory's dispose returns once the model is disposed, its state store's queued writes done, even when the
        // entry point's own stop did the disposing (ModelHost.StoppedAsync; before, that once left no file here in CI).
        // The message carries what the server said (a refused write or export logs a warning) and how the response ended.
        var files = Directory.GetFiles(directory.Path, "resp_*.msvresp");
        Assert.True(files.Length == 1, $"{files.Length} files; response {first.ToJsonString()}; server log: " +
            string.Join(" | ", log.Events.Where(e => e.Level >= LogEventLevel.Warning).Select(e => e.RenderMessage())));
        await using var restarted = new ServerFactory(null, Settings(directory.Path));
        var client = await restarted.CreateReadyClientAsync();
        using (var stored = await client.GetAsync($"/v1/responses/{id}"))
        {
            Assert.Equal(first.ToJsonString(), (await Json.ReadAsync(stored)).ToJsonString());
        }

        var second = await CreateAsync(client, new { input = "And then?", previous_response_id = id, max_output_tokens = 6, temperature = 0 });

        int cached = (int)first["usage"]!["input_tokens"]! + (int)first["usage"]!["output_tokens"]! - 1;
        Assert.Equal(cached, (int)second["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        var text = (string)first["output"]![0]!["content"]![0]!["text"]!;
        var chat = await ChatAsync(client, [new { role = "user", content = "Tell me about the jury." }, new { role = "assistant", content = text }, new { role = "user", content = "And then?" }], 6);
        Assert.Equal((string)chat["choices"]![0]!["message"]!["content"]!, (string)second["output"]![0]!["content"]![0]!["text"]!);
    }

    internal static async Task<JsonNode> ChatAsync(HttpClient client, IEnumerable<object> messages, int maxTokens)
    {
        using var response = await Json.PostAsync(client, "/v1/chat/completions", new { messages, max_tokens = maxTokens, temperature = 0 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Json.ReadAsync(response);
    }

    internal sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("mambaserve-responses-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
