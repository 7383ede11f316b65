using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>
/// vLLM's include_stop_str_in_output, truncate_prompt_tokens and skip_special_tokens on the demo model through the
/// real engine: greedy outputs with and without each field, streamed and not.
/// </summary>
public sealed class VllmFieldsRealModelTests
{
    private const string Prompt = "Once upon a time";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Completions_IncludeStopStrInOutput_KeepsTheStopStringAtTheEnd(bool stream)
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        var full = await CompleteAsync(client, new() { ["prompt"] = Prompt, ["max_tokens"] = 16, ["ignore_eos"] = true }, stream);
        // A stop string from the middle of the greedy text, so that text follows it in the same or later tokens.
        var stop = full.Substring(full.Length / 2, 3);
        int at = full.IndexOf(stop, StringComparison.Ordinal);
        var body = new Dictionary<string, object> { ["prompt"] = Prompt, ["max_tokens"] = 16, ["ignore_eos"] = true, ["stop"] = new[] { stop } };

        var cut = await CompleteAsync(client, body, stream);
        body["include_stop_str_in_output"] = true;
        var kept = await CompleteAsync(client, body, stream);

        Assert.Equal(full[..at], cut);
        Assert.Equal(full[..(at + stop.Length)], kept);
        Assert.EndsWith(stop, kept, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Chat_IncludeStopStrInOutput_KeepsTheStopStringAtTheEnd(bool stream)
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        var messages = new[] { new { role = "user", content = "Tell me about the jury." } };
        var full = await ChatAsync(client, new() { ["messages"] = messages, ["max_tokens"] = 16, ["ignore_eos"] = true }, stream);
        var stop = full.Substring(full.Length / 2, 2);
        int at = full.IndexOf(stop, StringComparison.Ordinal);
        var body = new Dictionary<string, object> { ["messages"] = messages, ["max_tokens"] = 16, ["ignore_eos"] = true, ["stop"] = new[] { stop } };

        var cut = await ChatAsync(client, body, stream);
        body["include_stop_str_in_output"] = true;
        var kept = await ChatAsync(client, body, stream);

        Assert.Equal(full[..at], cut);
        Assert.Equal(full[..(at + stop.Length)], kept);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Completions_TruncatePromptTokens_EqualsTheTruncatedPromptGivenDirectly(bool stream)
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        const string prompt = "The little dog ran to the door and opened it";
        using var tokenize = await Json.PostAsync(client, "/tokenize", new { prompt });
        var tokens = (await Json.ReadAsync(tokenize))["tokens"]!.AsArray().Select(t => (int)t!).ToArray();
        int keep = Random.Shared.Next(2, tokens.Length - 2);
        var common = new Dictionary<string, object> { ["max_tokens"] = 10, ["ignore_eos"] = true, ["echo"] = true, ["stream"] = stream };
        if (stream)
        {
            common["stream_options"] = new { include_usage = true };
        }

        var (whole, wholeUsage) = await CompletionWithUsageAsync(client, new(common) { ["prompt"] = prompt });
        var (truncated, truncatedUsage) = await CompletionWithUsageAsync(client, new(common) { ["prompt"] = prompt, ["truncate_prompt_tokens"] = keep });
        var (direct, directUsage) = await CompletionWithUsageAsync(client, new(common) { ["prompt"] = tokens[^keep..] });

        Assert.Equal(tokens.Length, wholeUsage);
        Assert.Equal(keep, truncatedUsage);
        Assert.Equal(keep, directUsage);
        Assert.Equal(direct, truncated);
        Assert.NotEqual(whole, truncated);
        Assert.False(truncated.StartsWith("The little", StringComparison.Ordinal), truncated);
    }

    [Fact]
    public async Task Chat_TruncatePromptTokens_CountsTheKeptTokens()
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        var messages = new[] { new { role = "user", content = "Tell me about the jury and the little dog." } };

        using var whole = await Json.PostAsync(client, "/v1/chat/completions", new { messages, max_tokens = 2 });
        using var truncated = await Json.PostAsync(client, "/v1/chat/completions", new { messages, max_tokens = 2, truncate_prompt_tokens = 5 });

        Assert.True((int)(await Json.ReadAsync(whole))["usage"]!["prompt_tokens"]! > 5);
        Assert.Equal(5, (int)(await Json.ReadAsync(truncated))["usage"]!["prompt_tokens"]!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Completions_SkipSpecialTokens_LeavesEndOfTextOutOfTheTextByDefault(bool stream)
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        // logit_bias forces <|endoftext|> (id 0, special) and ignore_eos keeps it from ending the choice.
        var body = new Dictionary<string, object>
        {
            ["prompt"] = Prompt, ["max_tokens"] = 3, ["ignore_eos"] = true, ["logit_bias"] = new Dictionary<string, int> { ["0"] = 100 },
        };

        var skipped = await CompleteAsync(client, body, stream);
        body["skip_special_tokens"] = false;
        var rendered = await CompleteAsync(client, body, stream);

        Assert.Equal(string.Empty, skipped);
        Assert.Equal("<|endoftext|><|endoftext|><|endoftext|>", rendered);
    }

    private static async Task<string> CompleteAsync(HttpClient client, Dictionary<string, object> body, bool stream) =>
        (await CompletionWithUsageAsync(client, new(body) { ["stream"] = stream, ["temperature"] = 0 })).Text;

    private static async Task<(string Text, int PromptTokens)> CompletionWithUsageAsync(HttpClient client, Dictionary<string, object> body)
    {
        body["temperature"] = 0;
        using var response = await Json.PostAsync(client, "/v1/completions", body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        if (body.TryGetValue("stream", out var s) && s is true)
        {
            var text = new StringBuilder();
            int promptTokens = -1;
            foreach (var data in await Json.ReadEventsAsync(response))
            {
                if (data == "[DONE]")
                {
                    continue;
                }

                var chunk = Json.Parse(data);
                foreach (var choice in chunk["choices"]!.AsArray())
                {
                    text.Append((string?)choice!["text"]);
                }

                if (chunk["usage"] is JsonObject usage)
                {
                    promptTokens = (int)usage["prompt_tokens"]!;
                }
            }

            return (text.ToString(), promptTokens);
        }

        var result = await Json.ReadAsync(response);
        return ((string)result["choices"]![0]!["text"]!, (int)result["usage"]!["prompt_tokens"]!);
    }

    private static async Task<string> ChatAsync(HttpClient client, Dictionary<string, object> body, bool stream)
    {
        body = new(body) { ["stream"] = stream, ["temperature"] = 0 };
        using var response = await Json.PostAsync(client, "/v1/chat/completions", body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        if (!stream)
        {
            return (string)(await Json.ReadAsync(response))["choices"]![0]!["message"]!["content"]!;
        }

        var text = new StringBuilder();
        foreach (var data in (await Json.ReadEventsAsync(response)).Where(d => d != "[DONE]"))
        {
            foreach (var choice in Json.Parse(data)["choices"]!.AsArray())
            {
                text.Append((string?)choice!["delta"]!["content"]);
            }
        }

        return text.ToString();
    }
}
