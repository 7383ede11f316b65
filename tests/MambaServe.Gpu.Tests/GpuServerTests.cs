using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using MambaServe.Engine.Tests.Infrastructure;
using MambaServe.Gpu.Tests.Infrastructure;
using MambaServe.Server.Grpc.V1;

namespace MambaServe.Gpu.Tests;

/// <summary>
/// The real server on the GPU (issue 9, point 7): <c>--device cuda</c> on the demo model (fp32 mode: its greedy
/// tokens over gRPC are the CPU engine's) and on a random-weight checkpoint of the mamba-2.8b shape
/// (MAMBASERVE_BIG_CHECKPOINT, written by <c>bench make-checkpoint</c>); completions, SSE, chat and gRPC answer.
/// </summary>
[Trait("Category", "Gpu")]
public sealed class GpuServerTests
{
    [Fact]
    public async Task Serve_DemoModelOnCuda_EveryApiAnswersAndGreedyIsTheCpuEngines()
    {
        await using var server = await Start(TestPaths.DemoModel, ["--dtype", "float32"]);
        await AssertApisAnswerAsync(server);
        // No scheduler setting given: the GPU's limits (GpuSchedulerDefaults), not the CPU's 64 / 2048 / 512.
        Assert.Contains("Scheduler on cuda: 256 sequences, 8192 tokens a step, prefill chunks of 2048 tokens, up to 4096 requests waiting", server.Log, StringComparison.Ordinal);

        var fixture = GreedyFixture.Load();
        var client = new TextGeneration.TextGenerationClient(server.Grpc);
        foreach (var c in fixture.Cases)
        {
            var request = new GenerateRequest
            {
                PromptTokenIds = new TokenIds { Ids = { c.PromptIds } }, MaxTokens = fixture.MaxTokens, Temperature = 0, IgnoreEos = true,
            };
            var ids = new List<int>();
            using var call = client.Generate(request);
            await foreach (var response in call.ResponseStream.ReadAllAsync())
            {
                ids.AddRange(response.TokenIds);
            }

            Assert.Equal(c.GreedyIds, ids);
        }
    }

    /// <summary>
    /// Rules and states that reach the device: allowed_token_ids and bad_words through the sampler's ban mask, and a
    /// conversation of the Conversations API whose second turn restores the first's saved state (device memory) and
    /// says the same as chat given the whole conversation.
    /// </summary>
    [Fact]
    public async Task Serve_DemoModelOnCuda_TokenRulesAndAConversationOnItsSavedState()
    {
        await using var server = await Start(TestPaths.DemoModel, ["--dtype", "float32"]);
        var allowed = (await PostAsync(server, "/tokenize", new { prompt = " the cat sat on a mat" }))["tokens"]!.AsArray().Select(t => (int)t!).Distinct().ToList();

        var sampled = await PostAsync(server, "/v1/completions", new
        {
            prompt = "Once upon a time", max_tokens = 16, n = 4, temperature = 1.0, seed = 9, return_token_ids = true, allowed_token_ids = allowed,
        });
        var greedy = await PostAsync(server, "/v1/completions", new { prompt = "Once upon a time", max_tokens = 24, temperature = 0, return_token_ids = true, bad_words = new[] { "the" } });

        Assert.All(sampled["choices"]!.AsArray(), c => Assert.All(c!["token_ids"]!.AsArray(), id => Assert.Contains((int)id!, allowed)));
        var the = (await PostAsync(server, "/tokenize", new { prompt = " the" }))["tokens"]!.AsArray().Select(t => (int)t!).ToList();
        var ids = greedy["choices"]![0]!["token_ids"]!.AsArray().Select(t => (int)t!).ToList();
        Assert.False(Enumerable.Range(0, ids.Count - the.Count + 1).Any(i => ids.Skip(i).Take(the.Count).SequenceEqual(the)), string.Join(",", ids));

        string conversation = (string)(await PostAsync(server, "/v1/conversations", new { items = new[] { new { role = "user", content = "Tell me about the jury." } } }))["id"]!;
        var first = await PostAsync(server, "/v1/responses", new { input = "Be brief.", conversation, max_output_tokens = 6, temperature = 0 });
        var second = await PostAsync(server, "/v1/responses", new { input = "And then?", conversation, max_output_tokens = 6, temperature = 0 });
        string firstText = (string)first["output"]![0]!["content"]![0]!["text"]!;
        var chat = await PostAsync(server, "/v1/chat/completions", new
        {
            messages = new[]
            {
                new { role = "user", content = "Tell me about the jury." }, new { role = "user", content = "Be brief." },
                new { role = "assistant", content = firstText }, new { role = "user", content = "And then?" },
            },
            max_tokens = 6, temperature = 0,
        });

        int cached = (int)first["usage"]!["input_tokens"]! + (int)first["usage"]!["output_tokens"]! - 1;
        Assert.Equal(cached, (int)second["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        Assert.Equal((string)chat["choices"]![0]!["message"]!["content"]!, (string)second["output"]![0]!["content"]![0]!["text"]!);
    }

    /// <summary>
    /// OpenAI's WebSocket mode on the device: a warm-up (generate: false, the prompt's state saved with no token
    /// generated), then two unstored turns, each restoring the state the socket holds in device memory.
    /// </summary>
    [Fact]
    public async Task Serve_DemoModelOnCuda_UnstoredTurnsOnAResponsesWebSocket()
    {
        await using var server = await Start(TestPaths.DemoModel, ["--dtype", "float32"]);
        const string instructions = "You are a reporter.";
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{server.Http.BaseAddress!.Authority}/v1/responses"), CancellationToken.None);

        var warm = await SocketTurnAsync(socket, new { type = "response.create", generate = false, instructions, store = false });
        var first = await SocketTurnAsync(socket, new
        {
            type = "response.create", input = "Tell me about the jury.", instructions, store = false, max_output_tokens = 6, temperature = 0, previous_response_id = (string)warm["id"]!,
        });
        var second = await SocketTurnAsync(socket, new
        {
            type = "response.create", input = "And then?", instructions, store = false, max_output_tokens = 6, temperature = 0, previous_response_id = (string)first["id"]!,
        });
        var chat = await PostAsync(server, "/v1/chat/completions", new
        {
            messages = new[]
            {
                new { role = "system", content = instructions }, new { role = "user", content = "Tell me about the jury." },
                new { role = "assistant", content = (string)first["output"]![0]!["content"]![0]!["text"]! }, new { role = "user", content = "And then?" },
            },
            max_tokens = 6, temperature = 0,
        });

        Assert.Equal((int)warm["usage"]!["input_tokens"]!, (int)first["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        Assert.True((int)second["usage"]!["input_tokens_details"]!["cached_tokens"]! > 0, second.ToJsonString());
        Assert.Equal((int)chat["usage"]!["prompt_tokens"]!, (int)second["usage"]!["input_tokens"]!);
        Assert.Equal((string)chat["choices"]![0]!["message"]!["content"]!, (string)second["output"]![0]!["content"]![0]!["text"]!);
    }

    /// <summary>Sends one response.create on the socket; the response its last event carries (an error event fails the test).</summary>
    private static async Task<JsonNode> SocketTurnAsync(System.Net.WebSockets.ClientWebSocket socket, object body)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(body), System.Net.WebSockets.WebSocketMessageType.Text, true, timeout.Token);
        var message = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(chunk, timeout.Token);
            Assert.NotEqual(System.Net.WebSockets.WebSocketMessageType.Close, result.MessageType);
            message.Write(chunk, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            var item = JsonNode.Parse(message.ToArray())!;
            message.SetLength(0);
            string? type = (string?)item["type"];
            Assert.True(type is not ("error" or "response.failed"), item.ToJsonString());
            if (type is "response.completed" or "response.incomplete")
            {
                return item["response"]!;
            }
        }
    }

    [Fact]
    public async Task Serve_Mamba28bShapeOnCuda_EveryApiAnswers()
    {
        var dir = Environment.GetEnvironmentVariable("MAMBASERVE_BIG_CHECKPOINT");
        Assert.SkipWhen(dir is null || !Directory.Exists(dir), "MAMBASERVE_BIG_CHECKPOINT names no checkpoint folder (scripts/device/run.sh makes one).");
        await using var server = await Start(dir!, ["--max-num-seqs", "16"]);

        await AssertApisAnswerAsync(server);
        // The given sequence limit wins; the rest are the GPU's.
        Assert.Contains("Scheduler on cuda: 16 sequences, 8192 tokens a step, prefill chunks of 2048 tokens, up to 4096 requests waiting", server.Log, StringComparison.Ordinal);
    }

    private static async Task<ServerProcess> Start(string modelDir, string[] args)
    {
        GpuLibrary.Require();
        Assert.SkipWhen(ServerProcess.ServerDll is null, "MAMBASERVE_SERVER_DLL names no server assembly (scripts/device/run.sh sets it).");
        return await ServerProcess.StartAsync(modelDir, args, TimeSpan.FromMinutes(3));
    }

    private static async Task AssertApisAnswerAsync(ServerProcess server)
    {
        const int tokens = 12;
        var completion = await PostAsync(server, "/v1/completions", new { prompt = "The history of", max_tokens = tokens, ignore_eos = true, temperature = 0.7, top_p = 0.9, seed = 3 });
        Assert.Equal(tokens, completion["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal("length", completion["choices"]![0]!["finish_reason"]!.GetValue<string>());

        var chunks = await StreamAsync(server, new { prompt = "Once", max_tokens = tokens, ignore_eos = true, stream = true });
        Assert.Equal("[DONE]", chunks[^1]);
        Assert.True(chunks.Count >= 2, $"SSE: {string.Join(" | ", chunks)}\n{server.Log}");

        var chat = await PostAsync(server, "/v1/chat/completions", new { messages = new[] { new { role = "user", content = "Hello there" } }, max_tokens = tokens });
        Assert.Equal("assistant", chat["choices"]![0]!["message"]!["role"]!.GetValue<string>());
        Assert.True(chat["usage"]!["completion_tokens"]!.GetValue<int>() >= 1);

        var client = new TextGeneration.TextGenerationClient(server.Grpc);
        using var call = client.Generate(new GenerateRequest { Prompt = "The", MaxTokens = tokens, IgnoreEos = true });
        var responses = new List<GenerateResponse>();
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            responses.Add(response);
        }

        Assert.Equal(tokens, responses.Sum(r => r.TokenIds.Count));
        Assert.Equal("length", responses[^1].FinishReason);
    }

    private static async Task<JsonNode> PostAsync(ServerProcess server, string path, object body)
    {
        using var response = await server.Http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}\n{server.Log}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>The SSE data payloads of a streamed completion, in order.</summary>
    private static async Task<List<string>> StreamAsync(ServerProcess server, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = JsonContent.Create(body) };
        using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var data = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Add(line["data: ".Length..]);
                if (data[^1] != "[DONE]")
                {
                    _ = JsonDocument.Parse(data[^1]); // every chunk is JSON
                }
            }
        }

        return data;
    }
}
