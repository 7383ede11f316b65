using System.Net;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.Tests.Infrastructure;
using OpenAI.Chat;

namespace MambaServe.Server.Tests.OpenAi.Chat;

/// <summary>Chat through the official OpenAI .NET client, pointed at the in-process server.</summary>
public sealed class ChatEndpointTests
{
    [Fact]
    public async Task CompleteChat_OpenAiClient_GetsTheAssistantMessageAndUsage()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var chat = OpenAiClients.Chat(await factory.CreateReadyClientAsync(), "fake-model");
        int maxTokens = Random.Shared.Next(2, 9);

        ChatCompletion completion = await chat.CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("Hello there")],
            new ChatCompletionOptions { MaxOutputTokenCount = maxTokens, Temperature = 0 });

        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(engine.TextOf(engine.TokensOf(0, maxTokens)), Assert.Single(completion.Content).Text);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(maxTokens, completion.Usage.OutputTokenCount);
        var request = Assert.Single(engine.Requests);
        var expectedPrompt = "System: Be brief.\nUser: Hello there\n" + DefaultChatTemplate.GenerationPrompt;
        Assert.Equal(DemoTokenizer.Instance.Encode(expectedPrompt), request.PromptTokens);
        Assert.Equal(request.PromptTokens.Count, completion.Usage.InputTokenCount);
        Assert.Equal(0f, request.Sampling.Temperature);
    }

    [Fact]
    public async Task CompleteChatStreaming_OpenAiClient_ReceivesDeltasThatJoinToTheMessage()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var chat = OpenAiClients.Chat(await factory.CreateReadyClientAsync(), "fake-model");
        int maxTokens = Random.Shared.Next(2, 9);

        var text = new System.Text.StringBuilder();
        var updates = 0;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Tell me a story")],
            new ChatCompletionOptions { MaxOutputTokenCount = maxTokens }))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal(engine.TextOf(engine.TokensOf(0, maxTokens)), text.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        // The client asks for stream usage: a role chunk, one chunk per token, then the usage chunk.
        Assert.Equal(maxTokens + 2, updates);
        Assert.Equal(maxTokens, usage?.OutputTokenCount);
    }

    [Fact]
    public async Task ChatCompletions_StreamWithUsage_EndsWithUsageChunkAndDone()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { StopAfter = 2 };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = "Hi" } },
            max_tokens = 6,
            stream = true,
            stream_options = new { include_usage = true },
        });

        var events = await Json.ReadEventsAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(Json.Parse).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string?)c["object"]));
        Assert.Equal("assistant", (string?)chunks[0]["choices"]![0]!["delta"]!["role"]);
        Assert.Equal("stop", (string?)chunks[^2]["choices"]![0]!["finish_reason"]);
        Assert.Empty(chunks[^1]["choices"]!.AsArray());
        Assert.Equal(2, (int)chunks[^1]["usage"]!["completion_tokens"]!);
    }

    [Fact]
    public async Task ChatCompletions_ContentParts_AreJoined()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/chat/completions", """
            {"messages":[{"role":"user","content":[{"type":"text","text":"Hello "},{"type":"text","text":"world"}]}],"max_tokens":1,"logprobs":true,"top_logprobs":2}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json.ReadAsync(response);
        Assert.Equal(DemoTokenizer.Instance.Encode("User: Hello world\n" + DefaultChatTemplate.GenerationPrompt), Assert.Single(engine.Requests).PromptTokens);
        var logprob = body["choices"]![0]!["logprobs"]!["content"]![0]!;
        Assert.Equal(2, logprob["top_logprobs"]!.AsArray().Count);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes((string)logprob["token"]!).Length, logprob["bytes"]!.AsArray().Count);
    }
}
