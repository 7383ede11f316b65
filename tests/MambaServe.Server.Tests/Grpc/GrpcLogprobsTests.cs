using Grpc.Core;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Grpc;

/// <summary>gRPC's logprobs and logit_bias on the demo model: the same figures as REST's, and the refusals.</summary>
public sealed class GrpcLogprobsTests
{
    [Fact]
    public async Task Generate_Logprobs_SameAsRestCompletionsForTheSameRequest()
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var http = await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));

        var grpc = await DrainAsync(client.Generate(new GenerateRequest { Prompt = "The jury said", MaxTokens = 6, Temperature = 0, IgnoreEos = true, Logprobs = 3 }));
        using var rest = await Json.PostAsync(http, "/v1/completions", new
        {
            prompt = "The jury said", max_tokens = 6, temperature = 0, ignore_eos = true, logprobs = 3, return_tokens_as_token_ids = true,
        });
        var logprobs = (await Json.ReadAsync(rest))["choices"]![0]!["logprobs"]!;

        var entries = grpc.SelectMany(r => r.Logprobs).ToList();
        Assert.Equal(grpc.SelectMany(r => r.TokenIds), entries.Select(e => e.TokenId));
        Assert.Equal(6, entries.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            Assert.Equal($"token_id:{entries[i].TokenId}", (string?)logprobs["tokens"]![i]);
            Assert.Equal((float)logprobs["token_logprobs"]![i]!, entries[i].Logprob, 1e-5f);
            var top = logprobs["top_logprobs"]![i]!.AsObject();
            Assert.Equal(3, entries[i].Top.Count);
            foreach (var alternative in entries[i].Top)
            {
                Assert.Equal((float)top[$"token_id:{alternative.TokenId}"]!, alternative.Logprob, 1e-5f);
            }

            Assert.True(entries[i].Top[0].Logprob >= entries[i].Top[2].Logprob);
        }
    }

    [Fact]
    public async Task Generate_LogitBias_ForcesTheToken_AndNoLogprobsUnlessAsked()
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));
        int forced = DemoTokenizer.Instance.Encode(" jury")[0];
        var request = new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 3, Temperature = 0.8f, Seed = 5, IgnoreEos = true };
        request.LogitBias.Add(forced, 100);

        var responses = await DrainAsync(client.Generate(request));

        Assert.Equal([forced, forced, forced], responses.SelectMany(r => r.TokenIds));
        Assert.Empty(responses.SelectMany(r => r.Logprobs));
    }

    [Theory]
    [InlineData(21, 0, 0f, "logprobs")]
    [InlineData(-1, 0, 0f, "logprobs")]
    [InlineData(null, 99999, 1f, "logit_bias")]
    [InlineData(null, 7, 101f, "logit_bias")]
    [InlineData(null, -3, 1f, "logit_bias")]
    public async Task Generate_BadLogprobsOrBias_InvalidArgumentNamingTheField(int? logprobs, int biasId, float bias, string field)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));
        var request = new GenerateRequest { Prompt = "hi", MaxTokens = 2 };
        if (logprobs is { } n)
        {
            request.Logprobs = n;
        }

        if (bias != 0)
        {
            request.LogitBias.Add(biasId, bias);
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => DrainAsync(client.Generate(request)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(field, error.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(engine.Requests);
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
