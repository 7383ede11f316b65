using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi;

/// <summary>
/// vLLM's stream_options.continuous_usage_stats: with include_usage, every chunk carries its choice's usage so far;
/// without either flag, only the last chunk (include_usage) or none has a usage.
/// </summary>
public sealed class ContinuousUsageTests
{
    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Completions_Stream_ChunksCarryTheUsageSoFarOnlyWithBothFlags(bool includeUsage, bool continuous)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        const string Prompt = "Hello there";
        int promptTokens = DemoTokenizer.Instance.Encode(Prompt).Count;
        int maxTokens = Random.Shared.Next(2, 7);

        using var response = await Json.PostAsync(client, "/v1/completions", new
        {
            prompt = Prompt,
            max_tokens = maxTokens,
            stream = true,
            stream_options = new { include_usage = includeUsage, continuous_usage_stats = continuous },
        });

        var chunks = (await Json.ReadEventsAsync(response))[..^1].Select(Json.Parse).ToList();
        var tokenChunks = includeUsage ? chunks[..^1] : chunks;
        Assert.Equal(maxTokens, tokenChunks.Count);
        for (int i = 0; i < tokenChunks.Count; i++)
        {
            var usage = tokenChunks[i]["usage"];
            if (includeUsage && continuous)
            {
                Assert.Equal(promptTokens, (int)usage!["prompt_tokens"]!);
                Assert.Equal(i + 1, (int)usage["completion_tokens"]!);
                Assert.Equal(promptTokens + i + 1, (int)usage["total_tokens"]!);
            }
            else
            {
                Assert.Null(usage);
            }
        }

        if (includeUsage)
        {
            Assert.Empty(chunks[^1]["choices"]!.AsArray());
            Assert.Equal(maxTokens, (int)chunks[^1]["usage"]!["completion_tokens"]!);
        }
    }

    [Fact]
    public async Task Chat_StreamOfTwoChoices_EveryChunkCarriesItsOwnChoicesTokensSoFar()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        const int MaxTokens = 4;

        using var response = await Json.PostAsync(client, "/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Hi" } },
            max_tokens = MaxTokens,
            n = 2,
            stream = true,
            stream_options = new { include_usage = true, continuous_usage_stats = true },
        });

        var chunks = (await Json.ReadEventsAsync(response))[..^1].Select(Json.Parse).ToList();
        int promptTokens = (int)chunks[^1]["usage"]!["prompt_tokens"]!;
        Assert.Equal(2 * MaxTokens, (int)chunks[^1]["usage"]!["completion_tokens"]!);
        var seen = new int[2];
        foreach (var chunk in chunks[..^1])
        {
            var choice = chunk["choices"]![0]!;
            int index = (int)choice["index"]!;
            bool roleChunk = (string?)choice["delta"]!["role"] == "assistant";
            if (!roleChunk)
            {
                seen[index]++;
            }

            Assert.Equal(promptTokens, (int)chunk["usage"]!["prompt_tokens"]!);
            Assert.Equal(seen[index], (int)chunk["usage"]!["completion_tokens"]!);
        }

        Assert.Equal([MaxTokens, MaxTokens], seen);
    }
}
