using Grpc.Core;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Grpc;

/// <summary>store and previous_response_id on Generate.</summary>
public sealed class GenerateConversationTests
{
    [Fact]
    public async Task Generate_PreviousResponseId_PrefillsOnlyThePendingTokenAndTheNewPrompt()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var http = await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));

        var first = await DrainAsync(client.Generate(new GenerateRequest { Prompt = "Once upon", MaxTokens = 4, Store = true }));
        Assert.All(first[..^1], r => Assert.False(r.HasResponseId));
        string id = first[^1].ResponseId;
        Assert.Matches("^resp_[0-9a-f]{48}$", id);

        var second = await DrainAsync(client.Generate(new GenerateRequest { Prompt = " a time", MaxTokens = 3, PreviousResponseId = id }));

        var request = engine.Requests.Last();
        Assert.NotNull(request.Start);
        Assert.Equal([engine.TokensOf(0, 4)[^1], .. DemoTokenizer.Instance.Encode(" a time")], request.PromptTokens);
        int cached = first[^1].Usage.PromptTokens + 4 - 1;
        Assert.Equal(cached, second[^1].Usage.CachedTokens);
        Assert.Equal(cached + request.PromptTokens.Count, second[^1].Usage.PromptTokens);
        Assert.False(second[^1].HasResponseId); // store unset: nothing kept
        using var stored = await http.GetAsync($"/v1/responses/{id}");
        var text = (string)(await Json.ReadAsync(stored))["output"]![0]!["content"]![0]!["text"]!;
        Assert.Equal(string.Concat(first.Select(r => r.Text)), text);
    }

    [Fact]
    public async Task Generate_UnknownPreviousResponseId_IsNotFound()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));

        var error = await Assert.ThrowsAsync<RpcException>(() => DrainAsync(client.Generate(
            new GenerateRequest { Prompt = "x", PreviousResponseId = "resp_" + new string('0', 48) })));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    private static async Task<List<GenerateResponse>> DrainAsync(AsyncServerStreamingCall<GenerateResponse> call)
    {
        using (call)
        {
            var responses = new List<GenerateResponse>();
            await foreach (var response in call.ResponseStream.ReadAllAsync())
            {
                responses.Add(response);
            }

            return responses;
        }
    }
}
