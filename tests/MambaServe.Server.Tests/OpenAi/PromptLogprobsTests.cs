using System.Net;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi;

/// <summary>vLLM's prompt_logprobs on completions and chat, against the scripted engine (its scores derive from the ids).</summary>
public sealed class PromptLogprobsTests
{
    /// <summary>Checks one prompt_logprobs list against the fake engine's scores for <paramref name="prompt"/>.</summary>
    private static void AssertFakeScores(JsonNode? node, IReadOnlyList<int> prompt, int top)
    {
        var list = node!.AsArray();
        Assert.Equal(prompt.Count, list.Count);
        Assert.Null(list[0]);
        for (int i = 1; i < prompt.Count; i++)
        {
            var entries = list[i]!.AsObject();
            int id = prompt[i];
            // The prompt's token first, then the alternatives (the fake's are id + 1 + k).
            Assert.Equal([id.ToString(), .. Enumerable.Range(0, top).Select(k => (id + 1 + k).ToString())], entries.Select(e => e.Key).Distinct());
            var own = entries[id.ToString()]!;
            Assert.Equal(FakeEngine.LogprobOf(id), (float)own["logprob"]!, 4);
            Assert.Equal(FakeEngine.RankOf(id), (int)own["rank"]!);
            Assert.Equal(DemoTokenizer.Instance.TokenText(id), (string?)own["decoded_token"]);
            for (int k = 0; k < top; k++)
            {
                var alternative = entries[(id + 1 + k).ToString()]!;
                Assert.Equal(k + 1, (int)alternative["rank"]!);
                Assert.Equal(FakeEngine.LogprobOf(id) - 1 - k, (float)alternative["logprob"]!, 4);
            }
        }
    }

    /// <summary>A streamed request of two tokens to <paramref name="path"/> asking for prompt_logprobs.</summary>
    private static string StreamedBody(string path, int promptLogprobs) => path.Contains("chat")
        ? $$"""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"stream":true,"prompt_logprobs":{{promptLogprobs}}}"""
        : $$"""{"prompt":"Hi","max_tokens":2,"stream":true,"prompt_logprobs":{{promptLogprobs}}}""";

    [Fact]
    public async Task Completions_PromptLogprobsWithoutEcho_EveryChoiceScoresItsOwnPrompt()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        int top = Random.Shared.Next(0, 4);
        string[] prompts = ["The cat sat on the mat", "Hello there, world"];

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = prompts, max_tokens = 2, n = 2, prompt_logprobs = top });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choices = (await Json.ReadAsync(response))["choices"]!.AsArray();
        Assert.Equal(4, choices.Count);
        for (int c = 0; c < choices.Count; c++)
        {
            Assert.Null(choices[c]!["logprobs"]);
            AssertFakeScores(choices[c]!["prompt_logprobs"], DemoTokenizer.Instance.Encode(prompts[c / 2]), top);
        }
    }

    [Fact]
    public async Task Completions_NoPromptLogprobs_FieldLeftOut()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = "Hello", max_tokens = 2, echo = true, logprobs = 1 });

        var choice = (await Json.ReadAsync(response))["choices"]![0]!.AsObject();
        Assert.False(choice.ContainsKey("prompt_logprobs"));
        Assert.Equal(1, engine.Requests.Single().Sampling.PromptLogprobs);
    }

    [Fact]
    public async Task Completions_EchoLogprobsWithLargerPromptLogprobs_EchoKeepsItsOwnAlternatives()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        const string prompt = "The cat sat on the mat";

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt, max_tokens = 0, echo = true, logprobs = 1, prompt_logprobs = 3 });

        var choice = (await Json.ReadAsync(response))["choices"]![0]!;
        var ids = DemoTokenizer.Instance.Encode(prompt);
        Assert.Equal(3, engine.Requests.Single().Sampling.PromptLogprobs);
        var echoTop = choice["logprobs"]!["top_logprobs"]!.AsArray();
        Assert.Equal(ids.Count, echoTop.Count);
        Assert.All(echoTop.Skip(1), t => Assert.Single(t!.AsObject()));
        AssertFakeScores(choice["prompt_logprobs"], ids, 3);
    }

    [Fact]
    public async Task Chat_PromptLogprobs_ScoresTheRenderedPromptOnceOnTheResponse()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/chat/completions",
            new { messages = new[] { new { role = "user", content = "Hi there" } }, max_tokens = 2, n = 2, prompt_logprobs = 2 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json.ReadAsync(response);
        var choices = body["choices"]!.AsArray();
        Assert.Equal(2, choices.Count);
        // vLLM's ChatCompletionResponse carries them, not its choices: every choice shares the prompt.
        Assert.All(choices, c => Assert.False(c!.AsObject().ContainsKey("prompt_logprobs")));
        AssertFakeScores(body["prompt_logprobs"], engine.Requests.Single().PromptTokens, 2);
    }

    [Theory]
    [InlineData("/v1/completions")]
    [InlineData("/v1/chat/completions")]
    public async Task PromptLogprobs_StreamedWithAlternatives_400AsVllm(string path)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        using var response = await Json.PostAsync(client, path, StreamedBody(path, promptLogprobs: 1));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json.ReadAsync(response))["error"]!;
        Assert.Equal("prompt_logprobs", (string?)error["param"]);
        Assert.Equal("`prompt_logprobs` are not available when `stream=True`.", (string?)error["message"]);
        Assert.Empty(engine.Requests);
    }

    [Theory]
    [InlineData("/v1/completions")]
    [InlineData("/v1/chat/completions")]
    public async Task PromptLogprobs_ZeroStreamed_AcceptedAndNothingScored(string path)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        using var response = await Json.PostAsync(client, path, StreamedBody(path, promptLogprobs: 0));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await Json.ReadEventsAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        Assert.All(events[..^1], e => Assert.DoesNotContain("prompt_logprobs", e, StringComparison.Ordinal));
        Assert.Null(engine.Requests.Single().Sampling.PromptLogprobs);
    }

    [Theory]
    [InlineData("/v1/completions", "-1", "whole vocabulary")]
    [InlineData("/v1/completions", "21", "[0, 20]")]
    [InlineData("/v1/completions", "-2", "[0, 20]")]
    [InlineData("/v1/completions", "\"x\"", "")]
    [InlineData("/v1/completions", "1.5", "")]
    [InlineData("/v1/chat/completions", "-1", "whole vocabulary")]
    [InlineData("/v1/chat/completions", "21", "[0, 20]")]
    [InlineData("/v1/chat/completions", "\"x\"", "")]
    public async Task PromptLogprobs_OutOfRangeOrNotAnInteger_400NamingTheField(string path, string value, string message)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var body = path.Contains("chat")
            ? $$"""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":1,"prompt_logprobs":{{value}}}"""
            : $$"""{"prompt":"Hi","max_tokens":1,"prompt_logprobs":{{value}}}""";

        using var response = await Json.PostAsync(client, path, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json.ReadAsync(response))["error"]!;
        Assert.Equal("prompt_logprobs", (string?)error["param"]);
        Assert.Contains(message, (string?)error["message"]);
        Assert.Empty(engine.Requests);
    }

    [Fact]
    public async Task PromptLogprobs_Null_Accepted()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", """{"prompt":"Hi","max_tokens":1,"prompt_logprobs":null}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(engine.Requests.Single().Sampling.PromptLogprobs);
    }
}
