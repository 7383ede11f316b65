using Grpc.Core;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Tests.Infrastructure;
using OpenAI.Chat;

#pragma warning disable OPENAI001 // the Responses client is marked experimental in the OpenAI .NET package

namespace MambaServe.Server.Tests.OpenAi;

/// <summary>
/// The prompt tokens the prefix-state cache spared the prefill, in every API's usage: OpenAI's
/// <c>prompt_tokens_details.cached_tokens</c> on completions and chat (the final usage only, not vLLM's continuous
/// chunks), the Responses API's <c>input_tokens_details.cached_tokens</c> for a response that starts from zero, and gRPC's
/// <c>cached_tokens</c> (and a stored gRPC response read back). The demo model with a cache entry every 16 tokens: the same prompt twice restores the deepest
/// entry short of its last token, which is always prefilled.
/// </summary>
public sealed class PrefixCacheUsageTests
{
    private const int Interval = 16;
    private const string Prompt =
        "The jury said it did find that the city executive committee, which had over-all charge of the election, deserves the praise and thanks of the city for the manner in which the election was conducted. The";

    private static readonly Dictionary<string, string?> Settings = new() { ["MambaServe:Scheduler:PrefixCacheInterval"] = $"{Interval}" };

    [Fact]
    public async Task Chat_TheSamePromptTwice_TheSecondReportsItsCachedPrefix_ThroughTheOpenAiClient()
    {
        await using var factory = ServerFactory.WithDemoModel(extra: Settings);
        var chat = OpenAiClients.Chat(await factory.CreateReadyClientAsync(), "mamba-demo-5m");
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0 };

        ChatCompletion first = await chat.CompleteChatAsync([new UserChatMessage(Prompt)], options);
        ChatCompletion second = await chat.CompleteChatAsync([new UserChatMessage(Prompt)], options);

        int prompt = first.Usage.InputTokenCount;
        Assert.True(prompt > 2 * Interval, $"{prompt} prompt tokens");
        Assert.Equal(0, first.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(CachedOf(prompt), second.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(first.Content[0].Text, second.Content[0].Text);
    }

    [Fact]
    public async Task Chat_TheNextTurn_RestoresTheStateTheAnswerEndedWith_AndAnswersAsAFullPrefillDoes()
    {
        // The client resends the conversation: the first answer, re-rendered by the template, follows the first prompt,
        // so the state the first answer finished with (all but its last token, which nothing fed) is restored, past the
        // first prompt's deepest boundary; a server that keeps no finished states prefills the answer and answers alike.
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 24, Temperature = 0 };
        await using var factory = ServerFactory.WithDemoModel(extra: Settings);
        var chat = OpenAiClients.Chat(await factory.CreateReadyClientAsync(), "mamba-demo-5m");
        ChatCompletion first = await chat.CompleteChatAsync([new UserChatMessage(Prompt)], options);
        List<ChatMessage> conversation = [new UserChatMessage(Prompt), new AssistantChatMessage(first.Content[0].Text), new UserChatMessage("And then?")];

        ChatCompletion second = await chat.CompleteChatAsync(conversation, options);

        Assert.Equal(first.Usage.InputTokenCount + first.Usage.OutputTokenCount - 1, second.Usage.InputTokenDetails.CachedTokenCount);
        Dictionary<string, string?> withoutFinishedStates = new(Settings) { ["MambaServe:Scheduler:PrefixCacheFinishedStates"] = "false" };
        await using var plain = ServerFactory.WithDemoModel(extra: withoutFinishedStates);
        var plainChat = OpenAiClients.Chat(await plain.CreateReadyClientAsync(), "mamba-demo-5m");
        Assert.Equal(first.Content[0].Text, (await plainChat.CompleteChatAsync([new UserChatMessage(Prompt)], options)).Value.Content[0].Text);
        ChatCompletion prefilled = await plainChat.CompleteChatAsync(conversation, options);
        Assert.Equal(prefilled.Content[0].Text, second.Content[0].Text);
        Assert.Equal(CachedOf(first.Usage.InputTokenCount), prefilled.Usage.InputTokenDetails.CachedTokenCount); // the first prompt's boundaries only
    }

    [Fact]
    public async Task Completions_Streamed_TheFinalUsageHasTheDetails_TheContinuousChunksNot()
    {
        await using var factory = ServerFactory.WithDemoModel(extra: Settings);
        var client = await factory.CreateReadyClientAsync();
        var body = new
        {
            prompt = Prompt, max_tokens = 4, temperature = 0, stream = true,
            stream_options = new { include_usage = true, continuous_usage_stats = true },
        };

        var runs = new List<List<System.Text.Json.Nodes.JsonNode>>();
        for (int i = 0; i < 2; i++)
        {
            using var response = await Json.PostAsync(client, "/v1/completions", body);
            runs.Add([.. (await Json.ReadEventsAsync(response))[..^1].Select(Json.Parse)]);
        }

        int prompt = (int)runs[0][^1]["usage"]!["prompt_tokens"]!;
        Assert.Equal([0, CachedOf(prompt)], runs.Select(chunks => (int)chunks[^1]["usage"]!["prompt_tokens_details"]!["cached_tokens"]!));
        Assert.All(runs, chunks => Assert.All(chunks[..^1], chunk => Assert.Null(chunk["usage"]!["prompt_tokens_details"])));
    }

    [Fact]
    public async Task Responses_FromZero_CountsACachedPrefix_AndGrpc_Too()
    {
        await using var factory = ServerFactory.WithDemoModel(extra: Settings);
        var client = await factory.CreateReadyClientAsync();
        using var warm = await Json.PostAsync(client, "/v1/completions", new { prompt = Prompt, max_tokens = 1 });
        int prompt = (int)(await Json.ReadAsync(warm))["usage"]!["prompt_tokens"]!;

        // The Responses prompt is the chat template's rendering, a different token sequence: its own first request fills
        // the cache, its second hits it.
        var usages = new List<(int Input, int Cached)>();
        for (int i = 0; i < 2; i++)
        {
            using var response = await Json.PostAsync(client, "/v1/responses", new { input = Prompt, max_output_tokens = 3, store = false });
            var usage = (await Json.ReadAsync(response))["usage"]!;
            usages.Add(((int)usage["input_tokens"]!, (int)usage["input_tokens_details"]!["cached_tokens"]!));
        }

        Assert.Equal([(usages[0].Input, 0), (usages[0].Input, CachedOf(usages[0].Input))], usages);

        var grpc = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));
        using var call = grpc.Generate(new GenerateRequest { Prompt = Prompt, MaxTokens = 2, Store = true });
        GenerateResponse? last = null;
        await foreach (var update in call.ResponseStream.ReadAllAsync())
        {
            last = update;
        }

        Assert.Equal((prompt, CachedOf(prompt)), (last!.Usage.PromptTokens, last.Usage.CachedTokens));
        // Stored, it reads back with the same count.
        using var stored = await client.GetAsync($"/v1/responses/{last.ResponseId}");
        Assert.Equal(CachedOf(prompt), (int)(await Json.ReadAsync(stored))["usage"]!["input_tokens_details"]!["cached_tokens"]!);
    }

    /// <summary>The deepest entry short of the prompt's last token.</summary>
    private static int CachedOf(int promptTokens) => (promptTokens - 1) / Interval * Interval;
}
