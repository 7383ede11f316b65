using System.Net;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Hosting;
using MambaServe.Engine.Sampling;
using MambaServe.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>
/// The real loader and engine behind the HTTP API: the demo model (with tokenizer), tiny-a and falcon-tiny (a
/// FalconMamba checkpoint; both without).
/// </summary>
public sealed class RealModelTests
{
    private static Dictionary<string, string?> ModelSettings(string path) => new()
    {
        ["MambaServe:Model:Path"] = path,
        ["MambaServe:Model:Threads"] = "1",
        ["MambaServe:StatePool:SlotCount"] = "4",
        ["MambaServe:Scheduler:MaxRunningSequences"] = "4",
    };

    [Fact]
    public async Task Completions_DemoModelGreedy_EqualsTheEnginesOwnGreedyOutput()
    {
        string[] prompts = ["Once upon a time", "The little dog", "She opened the door and"];
        var prompt = prompts[Random.Shared.Next(prompts.Length)];
        int maxTokens = Random.Shared.Next(8, 20);
        await using var factory = new ServerFactory(null, ModelSettings(TestPaths.DemoModel));
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions",
            new { model = "mamba-demo-5m", prompt, max_tokens = maxTokens, temperature = 0, ignore_eos = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = (string?)(await Json.ReadAsync(response))["choices"]![0]!["text"];

        var expected = await EngineGreedyAsync(prompt, maxTokens);
        Assert.Equal(expected, text);
        Assert.False(string.IsNullOrEmpty(text));
    }

    [Fact]
    public async Task Completions_DemoModelEchoScoring_FirstLogprobNullOthersNegative()
    {
        await using var factory = new ServerFactory(null, ModelSettings(TestPaths.DemoModel));
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", new { prompt = "The cat sat on the mat", max_tokens = 0, echo = true, logprobs = 2 });

        var choice = (await Json.ReadAsync(response))["choices"]![0]!;
        var logprobs = choice["logprobs"]!["token_logprobs"]!.AsArray();
        Assert.Equal("The cat sat on the mat", (string?)choice["text"]);
        Assert.Equal(DemoTokenizer.Instance.Encode("The cat sat on the mat").Count, logprobs.Count);
        Assert.Null(logprobs[0]);
        Assert.All(logprobs.Skip(1), lp => Assert.InRange((float)lp!, float.MinValue, 0f));
    }

    [Fact]
    public async Task Completions_DemoModelPromptLogprobs_EqualTheEchoScoresWithTrueRanks()
    {
        const string prompt = "The cat sat on the mat and looked at the dog";
        await using var factory = new ServerFactory(null, ModelSettings(TestPaths.DemoModel));
        var client = await factory.CreateReadyClientAsync();

        using var echoResponse = await Json.PostAsync(client, "/v1/completions", new { prompt, max_tokens = 0, echo = true, logprobs = 20 });
        using var promptResponse = await Json.PostAsync(client, "/v1/completions", new { prompt, max_tokens = 1, prompt_logprobs = 20 });

        Assert.Equal(HttpStatusCode.OK, promptResponse.StatusCode);
        var echo = (await Json.ReadAsync(echoResponse))["choices"]![0]!["logprobs"]!;
        var scored = (await Json.ReadAsync(promptResponse))["choices"]![0]!["prompt_logprobs"]!.AsArray();
        var ids = DemoTokenizer.Instance.Encode(prompt);
        Assert.Equal(ids.Count, scored.Count);
        Assert.Null(scored[0]);
        for (int i = 1; i < ids.Count; i++)
        {
            var entries = scored[i]!.AsObject();
            var own = entries[ids[i].ToString()]!;
            Assert.Equal((float)echo["token_logprobs"]![i]!, (float)own["logprob"]!, 5);
            Assert.Equal(DemoTokenizer.Instance.TokenText(ids[i]), (string?)own["decoded_token"]);
            // The alternatives are echo's top_logprobs (keyed by text there), ranked 1..20 by logprob.
            var alternatives = entries.Where(e => (int)e.Value!["rank"]! <= 20).OrderBy(e => (int)e.Value!["rank"]!).ToList();
            Assert.Equal(Enumerable.Range(1, 20), alternatives.Select(e => (int)e.Value!["rank"]!));
            var echoTop = echo["top_logprobs"]![i]!.AsObject().Select(e => (float)e.Value!).OrderDescending().ToList();
            Assert.Equal(echoTop, alternatives.Select(e => (float)e.Value!["logprob"]!), (a, b) => Math.Abs(a - b) < 1e-5);
            // The prompt token's rank: its place among the top 20 when it is there (rank 1 is the argmax), else past them.
            int rank = (int)own["rank"]!;
            int place = alternatives.FindIndex(e => e.Key == ids[i].ToString());
            if (place >= 0)
            {
                Assert.Equal(place + 1, rank);
            }
            else
            {
                Assert.True(rank > 20, $"rank {rank} of a token outside the top 20");
                Assert.True((float)own["logprob"]! <= (float)alternatives[^1].Value!["logprob"]!);
            }
        }
    }

    [Fact]
    public async Task Completions_ModelWithoutTokenizer_ServesTokenIdsOnly()
    {
        await using var factory = new ServerFactory(null, ModelSettings(TestPaths.Fixture("tiny-a")));
        var client = await factory.CreateReadyClientAsync();
        var prompt = Enumerable.Range(0, 5).Select(_ => Random.Shared.Next(2, 100)).ToArray();

        using var textResponse = await Json.PostAsync(client, "/v1/completions", new { prompt = "hello" });
        using var idResponse = await Json.PostAsync(client, "/v1/completions", new { prompt, max_tokens = 4, logprobs = 1, ignore_eos = true });

        Assert.Equal(HttpStatusCode.BadRequest, textResponse.StatusCode);
        Assert.Equal("prompt", (string?)(await Json.ReadAsync(textResponse))["error"]!["param"]);
        Assert.Equal(HttpStatusCode.OK, idResponse.StatusCode);
        var logprobs = (await Json.ReadAsync(idResponse))["choices"]![0]!["logprobs"]!;
        Assert.Equal(4, logprobs["tokens"]!.AsArray().Count);
        Assert.All(logprobs["tokens"]!.AsArray(), t => Assert.Matches("^token_id:[0-9]+$", (string?)t));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Completions_FalconMambaCheckpoint_GreedyIdsEqualTheFloat64Reference(int caseIndex)
    {
        var fixture = TestPaths.Fixture("falcon-tiny");
        var (ids, promptLength) = ReferenceTokens.Read(fixture, caseIndex);
        await using var factory = new ServerFactory(null, ModelSettings(fixture));
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions", new
        {
            prompt = ids[..promptLength], max_tokens = ids.Length - promptLength, temperature = 0, logprobs = 0, ignore_eos = true,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tokens = (await Json.ReadAsync(response))["choices"]![0]!["logprobs"]!["tokens"]!.AsArray();
        Assert.Equal(ids[promptLength..].Select(id => $"token_id:{id}"), tokens.Select(t => (string?)t));
    }

    [Fact]
    public async Task Completions_ReturnTokensAsTokenIds_ReportsIdsEvenWithATokenizer()
    {
        await using var factory = new ServerFactory(null, ModelSettings(TestPaths.DemoModel));
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/completions",
            new { prompt = "Hello", max_tokens = 3, logprobs = 0, temperature = 0, ignore_eos = true, return_tokens_as_token_ids = true });

        var tokens = (await Json.ReadAsync(response))["choices"]![0]!["logprobs"]!["tokens"]!.AsArray();
        Assert.Equal(3, tokens.Count);
        Assert.All(tokens, t => Assert.Matches("^token_id:[0-9]+$", (string?)t));
    }

    [Fact]
    public async Task Completions_DemoModelClientDisconnects_FreesTheStateSlot()
    {
        await using var factory = new ServerFactory(null, ModelSettings(TestPaths.DemoModel));
        var client = await factory.CreateReadyClientAsync();
        var model = factory.Services.GetRequiredService<ModelHost>().Require();
        using var cts = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"prompt":"Once upon a time","max_tokens":3000,"ignore_eos":true,"stream":true}""", System.Text.Encoding.UTF8, "application/json"),
        };

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        Assert.StartsWith("data: ", await reader.ReadLineAsync(cts.Token));
        // Stats are published after each step, possibly just after the first chunk left: poll (bounded).
        for (int i = 0; i < 400 && model.Stats.SlotsInUse == 0; i++)
        {
            await Task.Delay(25);
        }

        int inUseWhileStreaming = model.Stats.SlotsInUse;
        await cts.CancelAsync();
        response.Dispose();

        // The engine frees the slot at its next step; poll its published stats (bounded).
        for (int i = 0; i < 400 && model.Stats.SlotsInUse != 0; i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(1, inUseWhileStreaming);
        Assert.Equal(0, model.Stats.SlotsInUse);
        Assert.Equal(0, model.Stats.RunningSequences);
    }

    [Fact]
    public async Task Completions_LogitBiasPlus100_ForcesThatTokenEveryStep()
    {
        await using var factory = new ServerFactory(null, ModelSettings(TestPaths.DemoModel));
        var client = await factory.CreateReadyClientAsync();
        int forced = Random.Shared.Next(300, 8000);
        int maxTokens = Random.Shared.Next(2, 6);
        var body = new Dictionary<string, object>
        {
            ["prompt"] = "Once upon a time", ["max_tokens"] = maxTokens, ["temperature"] = 0.8, ["ignore_eos"] = true, ["logprobs"] = 0,
            ["return_tokens_as_token_ids"] = true, ["logit_bias"] = new Dictionary<string, float> { [forced.ToString(System.Globalization.CultureInfo.InvariantCulture)] = 100 },
        };

        using var response = await Json.PostAsync(client, "/v1/completions", body);

        var tokens = (await Json.ReadAsync(response))["choices"]![0]!["logprobs"]!["tokens"]!.AsArray();
        Assert.Equal(maxTokens, tokens.Count);
        Assert.All(tokens, t => Assert.Equal($"token_id:{forced}", (string?)t));
    }

    [Fact]
    public async Task Completions_DemoModelMinTokens_BansTheStopTokenAndReportsItsFiniteLogprob()
    {
        await using var factory = new ServerFactory(null, ModelSettings(TestPaths.DemoModel));
        var client = await factory.CreateReadyClientAsync();
        var common = new Dictionary<string, object>
        {
            ["prompt"] = "The little dog", ["temperature"] = 0, ["logprobs"] = 5, ["return_tokens_as_token_ids"] = true,
        };
        using var probe = await Json.PostAsync(client, "/v1/completions", new Dictionary<string, object>(common) { ["max_tokens"] = 1 });
        string stop = (string)(await Json.ReadAsync(probe))["choices"]![0]!["logprobs"]!["tokens"]![0]!;
        int stopId = int.Parse(stop["token_id:".Length..], System.Globalization.CultureInfo.InvariantCulture);
        var body = new Dictionary<string, object>(common) { ["max_tokens"] = 10, ["stop_token_ids"] = new[] { stopId } };
        using var control = await Json.PostAsync(client, "/v1/completions", body);
        Assert.Equal(1, (int)(await Json.ReadAsync(control))["usage"]!["completion_tokens"]!);

        body["min_tokens"] = 3;
        using var response = await Json.PostAsync(client, "/v1/completions", body);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        var result = Json.Parse(text);
        var logprobs = result["choices"]![0]!["logprobs"]!;
        var tokens = logprobs["tokens"]!.AsArray().Select(t => (string)t!).ToList();
        Assert.True(tokens.Count >= 3, text);
        Assert.DoesNotContain(stop, tokens.Take(3));
        Assert.Equal(tokens.Count, (int)result["usage"]!["completion_tokens"]!);
        // The banned token is still the likeliest under the raw logits: reported, with a finite logprob.
        var firstTop = logprobs["top_logprobs"]![0]!.AsObject();
        Assert.True(firstTop.ContainsKey(stop), text);
        Assert.All(logprobs["token_logprobs"]!.AsArray(), lp => Assert.True(float.IsFinite((float)lp!)));
        Assert.All(logprobs["top_logprobs"]!.AsArray().SelectMany(top => top!.AsObject()), kv => Assert.True(float.IsFinite((float)kv.Value!)));
    }

    [Fact]
    public async Task Chat_DemoModelMinTokens_GeneratesAtLeastThatManyWithFiniteLogprobs()
    {
        await using var factory = new ServerFactory(null, ModelSettings(TestPaths.DemoModel));
        var client = await factory.CreateReadyClientAsync();
        var messages = new[] { new { role = "user", content = "Tell me about the jury." } };
        using var probe = await Json.PostAsync(client, "/v1/chat/completions", new { messages, temperature = 0, max_tokens = 1, logprobs = true, return_tokens_as_token_ids = true });
        string stop = (string)(await Json.ReadAsync(probe))["choices"]![0]!["logprobs"]!["content"]![0]!["token"]!;
        int stopId = int.Parse(stop["token_id:".Length..], System.Globalization.CultureInfo.InvariantCulture);

        using var response = await Json.PostAsync(client, "/v1/chat/completions", new
        {
            messages, temperature = 0, max_tokens = 8, min_tokens = 4, stop_token_ids = new[] { stopId }, logprobs = true, top_logprobs = 3,
            return_tokens_as_token_ids = true,
        });

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        var result = Json.Parse(text);
        var content = result["choices"]![0]!["logprobs"]!["content"]!.AsArray();
        Assert.True(content.Count >= 4, text);
        Assert.DoesNotContain(stop, content.Take(4).Select(c => (string?)c!["token"]));
        Assert.Equal(content.Count, (int)result["usage"]!["completion_tokens"]!);
        Assert.All(content, c => Assert.True(float.IsFinite((float)c!["logprob"]!)));
    }

    private static async Task<string> EngineGreedyAsync(string prompt, int maxTokens)
    {
        var options = EngineOptions.Default with { Threads = 1, StatePool = new() { SlotCount = 2 } };
        await using var model = ServedModel.Load(TestPaths.DemoModel, "reference", options);
        var request = new GenerationRequest("reference", model.Tokenizer!.Encode(prompt),
            // The OpenAI routes skip special tokens (vLLM's skip_special_tokens default); with ignore_eos the greedy
            // text may hold <|endoftext|>.
            new SamplingParams { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true, SkipSpecialTokens = true });
        var text = new System.Text.StringBuilder();
        await foreach (var update in model.Engine.GenerateAsync(request))
        {
            text.Append(update.TextDelta);
        }

        return text.ToString();
    }
}
