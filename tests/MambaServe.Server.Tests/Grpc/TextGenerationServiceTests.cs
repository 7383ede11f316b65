using Grpc.Core;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Grpc;

public sealed class TextGenerationServiceTests
{
    [Fact]
    public async Task Generate_TextPrompt_StreamsOneResponsePerTokenAndFinishesWithUsage()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));
        int maxTokens = Random.Shared.Next(2, 9);

        var responses = await DrainAsync(client.Generate(new GenerateRequest { Prompt = "Once upon", MaxTokens = maxTokens, Temperature = 0 }));

        var tokens = engine.TokensOf(0, maxTokens);
        Assert.Equal(maxTokens, responses.Count);
        Assert.Equal(tokens, responses.SelectMany(r => r.TokenIds));
        Assert.Equal(engine.TextOf(tokens), string.Concat(responses.Select(r => r.Text)));
        Assert.All(responses[..^1], r => Assert.False(r.HasFinishReason));
        Assert.Equal("length", responses[^1].FinishReason);
        Assert.Equal(maxTokens, responses[^1].Usage.CompletionTokens);
        Assert.Equal(DemoTokenizer.Instance.Encode("Once upon").Count, responses[^1].Usage.PromptTokens);
        Assert.Equal(0f, Assert.Single(engine.Requests).Sampling.Temperature);
    }

    [Fact]
    public async Task Generate_UnsetSamplingFields_UseDefaults_ExplicitZeroTemperatureIsGreedy()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));
        var ids = new TokenIds();
        ids.Ids.Add(Random.Shared.Next(1, 8000));

        await DrainAsync(client.Generate(new GenerateRequest { PromptTokenIds = ids }));
        await DrainAsync(client.Generate(new GenerateRequest { PromptTokenIds = ids, Temperature = 0, TopK = 5, Seed = 7 }));

        var requests = engine.Requests.ToArray();
        Assert.Equal(1f, requests[0].Sampling.Temperature);
        Assert.Equal(16, requests[0].Sampling.MaxTokens);
        Assert.Null(requests[0].Sampling.Seed);
        Assert.Equal(0f, requests[1].Sampling.Temperature);
        Assert.Equal(5, requests[1].Sampling.TopK);
        Assert.Equal(7, requests[1].Sampling.Seed);
    }

    [Fact]
    public async Task Generate_IncludeStopStrAndTruncatePromptTokens_ReachTheEngine()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));
        var tokens = DemoTokenizer.Instance.Encode("Once upon a time there was a dog");

        await DrainAsync(client.Generate(new GenerateRequest { Prompt = "Once upon a time there was a dog", IncludeStopStrInOutput = true, TruncatePromptTokens = 3 }));
        await DrainAsync(client.Generate(new GenerateRequest { PromptTokenIds = new TokenIds { Ids = { 5, 6, 7, 8 } }, TruncatePromptTokens = -1 }));
        var zero = await Assert.ThrowsAsync<RpcException>(() => DrainAsync(client.Generate(new GenerateRequest { Prompt = "x", TruncatePromptTokens = 0 })));
        var continued = await Assert.ThrowsAsync<RpcException>(() => DrainAsync(client.Generate(
            new GenerateRequest { Prompt = "x", TruncatePromptTokens = 2, PreviousResponseId = "resp_x" })));

        var requests = engine.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.True(requests[0].Sampling.IncludeStopStrInOutput);
        Assert.Equal(tokens.Skip(tokens.Count - 3), requests[0].PromptTokens);
        Assert.False(requests[1].Sampling.IncludeStopStrInOutput);
        Assert.Equal([5, 6, 7, 8], requests[1].PromptTokens);
        Assert.Equal(StatusCode.InvalidArgument, zero.StatusCode);
        Assert.Contains("truncate_prompt_tokens must be at least 1", zero.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, continued.StatusCode);
        Assert.Contains("truncate_prompt_tokens cannot be combined with previous_response_id", continued.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_SkipSpecialTokens_ReachesTheEngineAndIsOffWhenUnset()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));

        await DrainAsync(client.Generate(new GenerateRequest { Prompt = "Once upon a time", SkipSpecialTokens = true }));
        await DrainAsync(client.Generate(new GenerateRequest { Prompt = "Once upon a time" }));
        await DrainAsync(client.Generate(new GenerateRequest { Prompt = "Once upon a time", SkipSpecialTokens = false }));

        Assert.Equal([true, false, false], engine.Requests.Select(r => r.Sampling.SkipSpecialTokens));
    }

    [Fact]
    public async Task Generate_MinTokens_ReachesTheEngineAndIsCheckedAgainstMaxTokens()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));

        await DrainAsync(client.Generate(new GenerateRequest { Prompt = "x", MaxTokens = 6, MinTokens = 4 }));
        await DrainAsync(client.Generate(new GenerateRequest { Prompt = "x", MaxTokens = 6 }));
        var tooMany = await Assert.ThrowsAsync<RpcException>(() => DrainAsync(client.Generate(new GenerateRequest { Prompt = "x", MaxTokens = 3, MinTokens = 4 })));
        var negative = await Assert.ThrowsAsync<RpcException>(() => DrainAsync(client.Generate(new GenerateRequest { Prompt = "x", MinTokens = -1 })));

        Assert.Equal([4, 0], engine.Requests.Select(r => r.Sampling.MinTokens));
        Assert.Equal(StatusCode.InvalidArgument, tooMany.StatusCode);
        Assert.Contains("min_tokens must be less than or equal to max_tokens (3)", tooMany.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, negative.StatusCode);
        Assert.Contains("min_tokens", negative.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokenize_Text_ReturnsTheTokenizersIds()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));
        var text = $"tokens {Random.Shared.Next()}";

        var response = await client.TokenizeAsync(new TokenizeRequest { Text = text });

        Assert.Equal(DemoTokenizer.Instance.Encode(text), response.TokenIds);
        Assert.Equal(response.TokenIds.Count, response.Count);
    }

    [Fact]
    public async Task Generate_BadInput_MapsToGrpcStatusCodes()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));

        await AssertStatusAsync(StatusCode.InvalidArgument, client.Generate(new GenerateRequest { MaxTokens = 3 }));
        await AssertStatusAsync(StatusCode.InvalidArgument, client.Generate(new GenerateRequest { Prompt = "x", Temperature = -1 }));
        await AssertStatusAsync(StatusCode.InvalidArgument, client.Generate(new GenerateRequest { Prompt = "x", MaxTokens = 1_000_001 }));
        await AssertStatusAsync(StatusCode.NotFound, client.Generate(new GenerateRequest { Prompt = "x", Model = "nope" }));
        engine.Overloaded = true;
        await AssertStatusAsync(StatusCode.ResourceExhausted, client.Generate(new GenerateRequest { Prompt = "x" }));
    }

    [Fact]
    public async Task Generate_ModelStillLoading_IsUnavailable()
    {
        var loader = new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, new FakeEngine(DemoTokenizer.Instance)), waitForRelease: true);
        await using var factory = new ServerFactory(loader);
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));

        await AssertStatusAsync(StatusCode.Unavailable, client.Generate(new GenerateRequest { Prompt = "x" }));
        loader.Release();
    }

    [Fact]
    public async Task Generate_ApiKeys_MissingIsUnauthenticated_RightKeySucceeds()
    {
        var key = $"sk-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:ApiKeys:0"] = key };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        await factory.CreateReadyClientAsync();

        var anonymous = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));
        var wrong = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory, "wrong"));
        var right = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory, key));

        await AssertStatusAsync(StatusCode.Unauthenticated, anonymous.Generate(new GenerateRequest { Prompt = "x", MaxTokens = 1 }));
        await AssertStatusAsync(StatusCode.Unauthenticated, wrong.Generate(new GenerateRequest { Prompt = "x", MaxTokens = 1 }));
        var ex = await Assert.ThrowsAsync<RpcException>(() => anonymous.TokenizeAsync(new TokenizeRequest { Text = "x" }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Single(await DrainAsync(right.Generate(new GenerateRequest { Prompt = "x", MaxTokens = 1 })));
    }

    [Fact]
    public async Task Generate_ClientCancels_AbortsTheSequence()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { HoldAfterFirst = true };
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));
        using var cts = new CancellationTokenSource();

        using var call = client.Generate(new GenerateRequest { Prompt = "x", MaxTokens = 5 }, cancellationToken: cts.Token);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        await cts.CancelAsync();

        await engine.Aborted.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(0, engine.CompletedRequests);
    }

    private static async Task<List<GenerateResponse>> DrainAsync(AsyncServerStreamingCall<GenerateResponse> call)
    {
        using (call)
        {
            var list = new List<GenerateResponse>();
            await foreach (var response in call.ResponseStream.ReadAllAsync())
            {
                list.Add(response);
            }

            return list;
        }
    }

    private static async Task AssertStatusAsync(StatusCode expected, AsyncServerStreamingCall<GenerateResponse> call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => DrainAsync(call));
        Assert.Equal(expected, ex.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(ex.Status.Detail));
    }
}
