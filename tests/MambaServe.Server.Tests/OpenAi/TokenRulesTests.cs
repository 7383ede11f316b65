using System.Net;
using System.Text.Json.Nodes;
using Grpc.Core;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi;

/// <summary>
/// vLLM's allowed_token_ids and bad_words on the demo model through the real engine: sampled ids stay in the allowed
/// set, a bad word's token sequences never appear in the output, and bad values are 400s naming the field.
/// </summary>
public sealed class TokenRulesTests
{
    [Fact]
    public async Task AllowedTokenIds_EverySampledIdIsOneOfThem()
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        var allowed = (await Json.TokenizeAsync(client, " the cat sat on a mat")).Distinct().ToList();

        foreach (var (path, body) in new[]
        {
            ("/v1/completions", new JsonObject { ["prompt"] = "Once upon a time" }),
            ("/v1/chat/completions", new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hello" }) }),
        })
        {
            body["max_tokens"] = 12;
            body["n"] = 3;
            body["temperature"] = 1.0;
            body["seed"] = 5;
            body["return_token_ids"] = true;
            body["allowed_token_ids"] = new JsonArray([.. allowed.Select(id => (JsonNode)id)]);

            var choices = (await PostAsync(client, path, body))["choices"]!.AsArray();

            Assert.Equal(3, choices.Count);
            Assert.All(choices, choice =>
            {
                var ids = choice!["token_ids"]!.AsArray().Select(id => (int)id!).ToList();
                Assert.Equal(12, ids.Count);
                Assert.All(ids, id => Assert.Contains(id, allowed));
            });
        }
    }

    [Fact]
    public async Task BadWords_TheWordsTokensNeverFollowEachOther_WhereTheGreedyAnswerHadThem()
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        var body = new JsonObject { ["prompt"] = "Once upon a time", ["max_tokens"] = 24, ["temperature"] = 0, ["return_token_ids"] = true };
        var free = Ids((await PostAsync(client, "/v1/completions", body))["choices"]![0]!);
        string word = "the";
        var spellings = new[] { await Json.TokenizeAsync(client, word), await Json.TokenizeAsync(client, " " + word) };
        Assert.Contains(spellings, s => Contains(free, s)); // the greedy answer writes it

        body["bad_words"] = new JsonArray(word);
        var banned = Ids((await PostAsync(client, "/v1/completions", body))["choices"]![0]!);

        Assert.Equal(24, banned.Count);
        Assert.DoesNotContain(spellings, s => Contains(banned, s));
        int same = free.Zip(banned).TakeWhile(p => p.First == p.Second).Count();
        Assert.True(same < free.Count, "the output did not change");
    }

    [Fact]
    public async Task Grpc_AllowedTokenIdsAndBadWords_AreHonouredAsOnRest_AndBadValuesAreInvalidArgument()
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var http = await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));
        var allowed = (await Json.TokenizeAsync(http, " the cat sat on a mat")).Distinct().ToList();
        var request = new GenerateRequest { Prompt = "Once upon a time", MaxTokens = 12, Temperature = 1, Seed = 3, IgnoreEos = true };
        request.AllowedTokenIds.Add(allowed);

        var ids = new List<int>();
        using (var call = client.Generate(request))
        {
            await foreach (var response in call.ResponseStream.ReadAllAsync(TestContext.Current.CancellationToken))
            {
                ids.AddRange(response.TokenIds);
            }
        }

        Assert.Equal(12, ids.Count);
        Assert.All(ids, id => Assert.Contains(id, allowed));
        var refused = new GenerateRequest { Prompt = "Hi", MaxTokens = 2, JsonObject = true };
        refused.BadWords.Add("the");
        using var bad = client.Generate(refused);
        var error = await Assert.ThrowsAsync<RpcException>(() => bad.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("bad_words", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllowedTokenIds_OfEosOnly_WithMinTokens_Is400_AndWithIgnoreEosRunsToMaxTokens()
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        int eos = DemoTokenizer.Instance.EosTokenId!.Value;

        using var refused = await Json.PostAsync(client, "/v1/completions", $$"""{"prompt":"Hi","max_tokens":3,"allowed_token_ids":[{{eos}}],"min_tokens":1}""");
        var ignored = await PostAsync(client, "/v1/completions", new JsonObject
        {
            ["prompt"] = "Hi", ["max_tokens"] = 3, ["ignore_eos"] = true, ["return_token_ids"] = true, ["allowed_token_ids"] = new JsonArray(eos),
        });

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("min_tokens", (string?)(await Json.ReadAsync(refused))["error"]!["message"], StringComparison.Ordinal);
        Assert.Equal([eos, eos, eos], Ids(ignored["choices"]![0]!));
    }

    [Theory]
    [InlineData("/v1/completions", "\"allowed_token_ids\":[]", "allowed_token_ids", "at least one")]
    [InlineData("/v1/completions", "\"allowed_token_ids\":[-1]", "allowed_token_ids", "token ids in [0, ")]
    [InlineData("/v1/chat/completions", "\"allowed_token_ids\":[99999999]", "allowed_token_ids", "token ids in [0, ")]
    [InlineData("/v1/completions", "\"allowed_token_ids\":[\"a\"]", "allowed_token_ids[0]", "")]
    [InlineData("/v1/completions", "\"bad_words\":[\" \"]", "bad_words[0]", "not empty or blank")]
    [InlineData("/v1/completions", "\"bad_words\":\"the\"", "bad_words", "")]
    [InlineData("/v1/completions", "\"allowed_token_ids\":[5],\"response_format\":{\"type\":\"json_object\"}", "allowed_token_ids", "cannot be combined")]
    [InlineData("/v1/chat/completions", "\"bad_words\":[\"the\"],\"structured_outputs\":{\"choice\":[\"yes\",\"no\"]}", "bad_words", "cannot be combined")]
    public async Task BadValue_Is400NamingTheField(string path, string extra, string param, string message)
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        string common = path == "/v1/completions" ? "\"prompt\":\"Hi\",\"max_tokens\":2" : "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2";

        using var response = await Json.PostAsync(client, path, $"{{{common},{extra}}}");

        var error = (await Json.ReadAsync(response))["error"]!;
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, error.ToJsonString());
        Assert.Equal(param, (string?)error["param"]);
        Assert.Contains(message, (string?)error["message"], StringComparison.Ordinal);
    }

    private static bool Contains(List<int> ids, List<int> sequence) =>
        Enumerable.Range(0, Math.Max(0, ids.Count - sequence.Count + 1)).Any(i => ids.Skip(i).Take(sequence.Count).SequenceEqual(sequence));

    private static List<int> Ids(JsonNode choice) => [.. choice["token_ids"]!.AsArray().Select(id => (int)id!)];

    private static async Task<JsonNode> PostAsync(HttpClient client, string path, JsonObject body)
    {
        using var response = await Json.PostAsync(client, path, body.ToJsonString());
        var json = await Json.ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToJsonString());
        return json;
    }
}
