using System.Net;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi.Completions;

public sealed class CompletionsEndpointTests
{
    [Fact]
    public async Task Completions_StringPrompt_ReturnsTextCompletionWithUsage()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        int maxTokens = Random.Shared.Next(3, 12);

        using var response = await Json.PostAsync(client, "/v1/completions", new { model = "fake-model", prompt = "Once upon a time", max_tokens = maxTokens });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json.ReadAsync(response);
        var promptTokens = DemoTokenizer.Instance.Encode("Once upon a time");
        Assert.Equal("text_completion", (string?)body["object"]);
        Assert.StartsWith("cmpl-", (string?)body["id"]);
        Assert.Equal("fake-model", (string?)body["model"]);
        var choice = body["choices"]![0]!;
        Assert.Equal(0, (int)choice["index"]!);
        Assert.Equal(engine.TextOf(engine.TokensOf(0, maxTokens)), (string?)choice["text"]);
        Assert.Equal("length", (string?)choice["finish_reason"]);
        Assert.Null(choice["logprobs"]);
        Assert.Equal(promptTokens.Count, (int)body["usage"]!["prompt_tokens"]!);
        Assert.Equal(maxTokens, (int)body["usage"]!["completion_tokens"]!);
        Assert.Equal(promptTokens.Count + maxTokens, (int)body["usage"]!["total_tokens"]!);
        var sent = Assert.Single(engine.Requests);
        Assert.Equal(promptTokens, sent.PromptTokens);
    }

    [Fact]
    public async Task Completions_NoMaxTokens_DefaultsTo16()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", """{"prompt":"Hello"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(16, Assert.Single(engine.Requests).Sampling.MaxTokens);
    }

    [Fact]
    public async Task Completions_SamplingFields_ReachTheEngine()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        long seed = Random.Shared.NextInt64();

        using var response = await Json.PostAsync(client, "/v1/completions", $$"""
            {"prompt":"Hi","max_tokens":3,"temperature":0.5,"top_p":0.9,"top_k":40,"min_p":0.05,"presence_penalty":0.5,
             "frequency_penalty":-0.5,"repetition_penalty":1.2,"logit_bias":{"42":-100},"seed":{{seed}},"stop":"\n","user":"u1"}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sampling = Assert.Single(engine.Requests).Sampling;
        Assert.Equal(0.5f, sampling.Temperature);
        Assert.Equal(0.9f, sampling.TopP);
        Assert.Equal(40, sampling.TopK);
        Assert.Equal(0.05f, sampling.MinP);
        Assert.Equal(0.5f, sampling.PresencePenalty);
        Assert.Equal(-0.5f, sampling.FrequencyPenalty);
        Assert.Equal(1.2f, sampling.RepetitionPenalty);
        Assert.Equal(-100f, sampling.LogitBias[42]);
        Assert.Equal(seed, sampling.Seed);
        Assert.Equal(["\n"], sampling.Stop);
    }

    [Fact]
    public async Task Completions_TokenIdPrompts_OneChoicePerPromptAndSample()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        int[][] prompts = [[Random.Shared.Next(1, 8000), 7, 9], [Random.Shared.Next(1, 8000)]];

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = prompts, max_tokens = 2, n = 2 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json.ReadAsync(response);
        var choices = body["choices"]!.AsArray();
        Assert.Equal(4, choices.Count);
        for (int c = 0; c < 4; c++)
        {
            Assert.Equal(c, (int)choices[c]!["index"]!);
            Assert.Equal(engine.TextOf(engine.TokensOf(c % 2, 2)), (string?)choices[c]!["text"]);
        }

        Assert.Equal(prompts.Sum(p => p.Length), (int)body["usage"]!["prompt_tokens"]!);
        Assert.Equal(8, (int)body["usage"]!["completion_tokens"]!);
        Assert.Equal(prompts.Select(p => (IReadOnlyList<int>)p).ToHashSet(new SequenceComparer()), engine.Requests.Select(r => r.PromptTokens).ToHashSet(new SequenceComparer()));
    }

    [Fact]
    public async Task Completions_StringArrayPrompt_OneChoicePerString()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = new[] { "one", "two", "three" }, max_tokens = 1 });

        var body = await Json.ReadAsync(response);
        Assert.Equal(3, body["choices"]!.AsArray().Count);
        Assert.Equal(3, engine.Requests.Count);
    }

    [Fact]
    public async Task Completions_Logprobs_ReportsTokensOffsetsAndTopAlternatives()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        int top = Random.Shared.Next(1, 4);

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = "Hello", max_tokens = 4, logprobs = top });

        var logprobs = (await Json.ReadAsync(response))["choices"]![0]!["logprobs"]!;
        var tokens = engine.TokensOf(0, 4);
        int offset = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            var text = DemoTokenizer.Instance.TokenText(tokens[i]);
            Assert.Equal(text, (string?)logprobs["tokens"]![i]);
            Assert.Equal(FakeEngine.LogprobOf(tokens[i]), (float)logprobs["token_logprobs"]![i]!);
            Assert.Equal(offset, (int)logprobs["text_offset"]![i]!);
            Assert.InRange(logprobs["top_logprobs"]![i]!.AsObject().Count, 1, top);
            offset += text.Length;
        }

        Assert.Equal(top, Assert.Single(engine.Requests).Sampling.Logprobs);
    }

    [Fact]
    public async Task Completions_EchoLogprobsZeroMaxTokens_ScoresThePrompt()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        const string prompt = "The quick brown fox";

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt, max_tokens = 0, echo = true, logprobs = 1 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json.ReadAsync(response);
        var choice = body["choices"]![0]!;
        var ids = DemoTokenizer.Instance.Encode(prompt);
        Assert.Equal(prompt, (string?)choice["text"]);
        Assert.Equal("length", (string?)choice["finish_reason"]);
        var logprobs = choice["logprobs"]!;
        Assert.Equal(ids.Count, logprobs["tokens"]!.AsArray().Count);
        Assert.Null(logprobs["token_logprobs"]![0]);
        Assert.Null(logprobs["top_logprobs"]![0]);
        for (int i = 1; i < ids.Count; i++)
        {
            Assert.Equal(FakeEngine.LogprobOf(ids[i]), (float)logprobs["token_logprobs"]![i]!);
        }

        Assert.Equal(string.Concat(ids.Select(DemoTokenizer.Instance.TokenText)), string.Concat(logprobs["tokens"]!.AsArray().Select(t => (string?)t)));
        Assert.Equal(0, (int)logprobs["text_offset"]![0]!);
        Assert.Equal(0, (int)body["usage"]!["completion_tokens"]!);
        Assert.Equal(1, Assert.Single(engine.Requests).Sampling.PromptLogprobs);
    }

    private sealed class SequenceComparer : IEqualityComparer<IReadOnlyList<int>>
    {
        public bool Equals(IReadOnlyList<int>? x, IReadOnlyList<int>? y) => x!.SequenceEqual(y!);

        public int GetHashCode(IReadOnlyList<int> obj) => obj.Aggregate(17, (h, v) => h * 31 + v);
    }
}
