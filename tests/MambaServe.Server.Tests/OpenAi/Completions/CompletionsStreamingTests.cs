using System.Net;
using System.Text;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi.Completions;

public sealed class CompletionsStreamingTests
{
    [Fact]
    public async Task Completions_Stream_SendsOneChunkPerTokenThenUsageThenDone()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        int maxTokens = Random.Shared.Next(2, 8);

        using var response = await Json.PostAsync(client, "/v1/completions",
            new { prompt = "Hello", max_tokens = maxTokens, stream = true, stream_options = new { include_usage = true } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = await Json.ReadEventsAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(Json.Parse).ToList();
        Assert.Equal(maxTokens + 1, chunks.Count);
        var tokens = engine.TokensOf(0, maxTokens);
        for (int i = 0; i < maxTokens; i++)
        {
            Assert.Equal("text_completion", (string?)chunks[i]["object"]);
            var choice = chunks[i]["choices"]![0]!;
            Assert.Equal(engine.TextOf([tokens[i]]), (string?)choice["text"]);
            Assert.Equal(i == maxTokens - 1 ? "length" : null, (string?)choice["finish_reason"]);
        }

        var usage = chunks[^1];
        Assert.Empty(usage["choices"]!.AsArray());
        Assert.Equal(maxTokens, (int)usage["usage"]!["completion_tokens"]!);
        Assert.Single(chunks.Select(c => (string?)c["id"]).Distinct());
    }

    [Fact]
    public async Task Completions_StreamWithLogprobs_EveryChunkCarriesItsTokensLogprobAndOffset()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        int maxTokens = Random.Shared.Next(3, 9);

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = "Hello", max_tokens = maxTokens, stream = true, logprobs = 1 });

        var chunks = (await Json.ReadEventsAsync(response))[..^1].Select(Json.Parse).ToList();
        var tokens = engine.TokensOf(0, maxTokens);
        int offset = 0;
        for (int i = 0; i < maxTokens; i++)
        {
            var logprobs = chunks[i]["choices"]![0]!["logprobs"]!;
            Assert.Equal(FakeEngine.LogprobOf(tokens[i]), (float)logprobs["token_logprobs"]![0]!, 3);
            Assert.Single(logprobs["tokens"]!.AsArray());
            Assert.Equal(offset, (int)logprobs["text_offset"]![0]!);
            offset += ((string)logprobs["tokens"]![0]!).Length;
        }
    }

    [Fact]
    public async Task Completions_StreamWithoutUsage_HasNoUsageChunk()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = "Hello", max_tokens = 3, stream = true });

        var events = await Json.ReadEventsAsync(response);
        Assert.Equal(4, events.Count);
        Assert.All(events[..^1], e => Assert.Single(Json.Parse(e)["choices"]!.AsArray()));
    }

    [Fact]
    public async Task Completions_Stream_FirstChunkArrivesBeforeTheEngineFinishes()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"prompt":"Hello","max_tokens":5,"stream":true}""", Encoding.UTF8, "application/json"),
        };

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await reader.ReadLineAsync();

        // The engine is still holding the rest of the tokens: the first chunk cannot have waited for the end.
        Assert.Equal(0, engine.CompletedRequests);
        Assert.StartsWith("data: ", first);
        Assert.Equal(engine.TextOf(engine.TokensOf(0, 5).Take(1)), (string?)Json.Parse(first!["data: ".Length..])["choices"]![0]!["text"]);
        engine.ReleaseAfterFirst();
        var rest = await reader.ReadToEndAsync();
        Assert.EndsWith("data: [DONE]\n\n", rest);
        Assert.Equal(1, engine.CompletedRequests);
    }

    [Fact]
    public async Task Completions_ClientDisconnectsMidStream_AbortsTheSequence()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        await StreamDisconnect.StartThenDisconnectAsync(client, engine);

        Assert.Equal(0, engine.CompletedRequests);
    }

    [Fact]
    public async Task Completions_EngineFailsMidStream_SendsAnErrorEventThenDone()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { FailAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = "Hello", max_tokens = 5, stream = true });

        var events = await Json.ReadEventsAsync(response);
        Assert.Equal(3, events.Count);
        Assert.Single(Json.Parse(events[0])["choices"]!.AsArray());
        Assert.Equal("server_error", (string?)Json.Parse(events[1])["error"]!["type"]);
        Assert.Equal("[DONE]", events[2]);
    }
}
