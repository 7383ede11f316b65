using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>
/// vLLM's return_token_ids on the demo model through the real engine: the prompt's ids as the tokenizer gives them,
/// the generated ids that decode to the text (stop tokens included), the same ids streamed and not.
/// </summary>
public sealed class ReturnTokenIdsRealModelTests
{
    private const string Prompt = "Once upon a time";

    [Fact]
    public async Task Completions_ReturnTokenIds_GivesThePromptsIdsAndIdsThatDecodeToTheText()
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();

        var choice = (await PostAsync(client, "/v1/completions", Body(Prompt, 12)))["choices"]![0]!;

        Assert.Equal(await Json.TokenizeAsync(client, Prompt), Ids(choice["prompt_token_ids"]));
        var ids = Ids(choice["token_ids"]);
        Assert.Equal(12, ids.Count);
        Assert.Equal((string)choice["text"]!, await DetokenizeAsync(client, ids));
    }

    [Fact]
    public async Task Completions_WithoutReturnTokenIds_LeavesBothFieldsOut()
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        var body = Body(Prompt, 4);
        body["return_token_ids"] = false;

        var choice = (JsonObject)(await PostAsync(client, "/v1/completions", body))["choices"]![0]!;

        Assert.False(choice.ContainsKey("token_ids"));
        Assert.False(choice.ContainsKey("prompt_token_ids"));
    }

    [Fact]
    public async Task Completions_EchoAndTwoPrompts_EachChoiceGetsItsOwnPromptAndOnlyGeneratedIds()
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        string[] prompts = [Prompt, "The jury said"];
        var body = Body(prompts, 5);
        body["echo"] = true;

        var choices = (await PostAsync(client, "/v1/completions", body))["choices"]!.AsArray();

        Assert.Equal(2, choices.Count);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(await Json.TokenizeAsync(client, prompts[i]), Ids(choices[i]!["prompt_token_ids"]));
            var ids = Ids(choices[i]!["token_ids"]);
            Assert.Equal(5, ids.Count);
            Assert.Equal((string)choices[i]!["text"]!, prompts[i] + await DetokenizeAsync(client, ids));
        }
    }

    [Fact]
    public async Task Completions_Streamed_PromptIdsInTheFirstChunkOnlyAndTheSameIdsAsNotStreamed()
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        var whole = (await PostAsync(client, "/v1/completions", Body(Prompt, 12)))["choices"]![0]!;
        var body = Body(Prompt, 12);
        body["stream"] = true;

        var chunks = await StreamAsync(client, "/v1/completions", body);

        var withChoices = chunks.Where(c => c["choices"]!.AsArray().Count > 0).ToList();
        Assert.Equal(Ids(whole["prompt_token_ids"]), Ids(withChoices[0]["choices"]![0]!["prompt_token_ids"]));
        Assert.All(withChoices.Skip(1), c => Assert.False(((JsonObject)c["choices"]![0]!).ContainsKey("prompt_token_ids")));
        Assert.Equal(Ids(whole["token_ids"]), withChoices.SelectMany(c => Ids(c["choices"]![0]!["token_ids"])).ToList());
        Assert.Equal((string)whole["text"]!, string.Concat(withChoices.Select(c => (string?)c["choices"]![0]!["text"])));
    }

    [Theory]
    [InlineData("/v1/completions")]
    [InlineData("/v1/chat/completions")]
    public async Task Streamed_TokensWithoutTextYet_StillGoOutWithTheirIds(string path)
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        // The byte-level token of 0xE2 alone, forced at every step: each is the lead byte of a three-byte UTF-8
        // sequence, so a token adds no text until a later one ends the sequence as invalid.
        int leadByte = LeadByteToken();
        var body = path == "/v1/completions" ? Body(Prompt, 4) : ChatBody(4);
        body["logit_bias"] = new Dictionary<string, float> { [leadByte.ToString(System.Globalization.CultureInfo.InvariantCulture)] = 100 };
        body["stream"] = true;

        var chunks = await StreamAsync(client, path, body);

        var ids = chunks.SelectMany(c => c["choices"]!.AsArray()).Where(c => c!["token_ids"] is not null).SelectMany(c => Ids(c!["token_ids"])).ToList();
        Assert.Equal([leadByte, leadByte, leadByte, leadByte], ids);
    }

    [Theory]
    [InlineData("/v1/completions")]
    [InlineData("/v1/chat/completions")]
    public async Task StopTokenId_IsInTheIdsButNotInTheText(string path)
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        // The bias forces the token at every step, so the first token is the stop token: the sample ends at once, no text.
        int stop = (await Json.TokenizeAsync(client, " the"))[0];
        var body = path == "/v1/completions" ? Body(Prompt, 8) : ChatBody(8);
        body["logit_bias"] = new Dictionary<string, float> { [stop.ToString(System.Globalization.CultureInfo.InvariantCulture)] = 100 };
        body["stop_token_ids"] = new[] { stop };

        var choice = (await PostAsync(client, path, body))["choices"]![0]!;

        Assert.Equal([stop], Ids(choice["token_ids"]));
        Assert.Equal("stop", (string?)choice["finish_reason"]);
        Assert.Equal(string.Empty, path == "/v1/completions" ? (string?)choice["text"] : (string?)choice["message"]!["content"]);
    }

    [Fact]
    public async Task Chat_ReturnTokenIds_PromptIdsOnTheResponseAndIdsThatDecodeToTheContent()
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();

        var response = await PostAsync(client, "/v1/chat/completions", ChatBody(10));

        var promptIds = Ids(response["prompt_token_ids"]);
        Assert.Equal((int)response["usage"]!["prompt_tokens"]!, promptIds.Count);
        Assert.Contains("Tell me about the jury.", await DetokenizeAsync(client, promptIds), StringComparison.Ordinal);
        var choice = response["choices"]![0]!;
        var ids = Ids(choice["token_ids"]);
        Assert.Equal(10, ids.Count);
        Assert.Equal((string)choice["message"]!["content"]!, await DetokenizeAsync(client, ids));
    }

    [Fact]
    public async Task Chat_Streamed_PromptIdsInTheFirstChunkOnlyAndTheSameIdsAsNotStreamed()
    {
        await using var factory = ServerFactory.WithDemoModel(4);
        var client = await factory.CreateReadyClientAsync();
        var whole = await PostAsync(client, "/v1/chat/completions", ChatBody(10));
        var body = ChatBody(10);
        body["stream"] = true;

        var chunks = await StreamAsync(client, "/v1/chat/completions", body);

        Assert.Equal(Ids(whole["prompt_token_ids"]), Ids(chunks[0]["prompt_token_ids"]));
        Assert.All(chunks.Skip(1), c => Assert.False(((JsonObject)c).ContainsKey("prompt_token_ids")));
        // The role chunk has no ids; every later chunk of the choice lists the ids it adds.
        Assert.False(((JsonObject)chunks[0]["choices"]![0]!).ContainsKey("token_ids"));
        var content = chunks.Skip(1).Where(c => c["choices"]!.AsArray().Count > 0).ToList();
        Assert.Equal(Ids(whole["choices"]![0]!["token_ids"]), content.SelectMany(c => Ids(c["choices"]![0]!["token_ids"])).ToList());
    }

    // With ignore_eos the demo model writes <|endoftext|> between stories; skip_special_tokens false keeps it in the
    // text too, so the ids decode to the text exactly.
    private static Dictionary<string, object> Body(object prompt, int maxTokens) => new()
    {
        ["prompt"] = prompt, ["max_tokens"] = maxTokens, ["temperature"] = 0, ["ignore_eos"] = true, ["skip_special_tokens"] = false,
        ["return_token_ids"] = true,
    };

    private static Dictionary<string, object> ChatBody(int maxTokens) => new()
    {
        ["messages"] = new[] { new { role = "user", content = "Tell me about the jury." } },
        ["max_tokens"] = maxTokens, ["temperature"] = 0, ["ignore_eos"] = true, ["skip_special_tokens"] = false, ["return_token_ids"] = true,
    };

    private static int LeadByteToken()
    {
        // GPT-2's byte-to-character map sends byte 0xE2 to U+00E2.
        var tokenizer = Json.Parse(File.ReadAllText(Path.Combine(TestPaths.DemoModel, "tokenizer.json")));
        return (int)tokenizer["model"]!["vocab"]!["\u00e2"]!;
    }

    private static List<int> Ids(JsonNode? node) => node!.AsArray().Select(t => (int)t!).ToList();

    private static async Task<JsonNode> PostAsync(HttpClient client, string path, object body)
    {
        using var response = await Json.PostAsync(client, path, body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json.ReadAsync(response);
    }

    private static async Task<List<JsonNode>> StreamAsync(HttpClient client, string path, object body)
    {
        using var response = await Json.PostAsync(client, path, body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return [.. (await Json.ReadEventsAsync(response)).Where(d => d != "[DONE]").Select(Json.Parse)];
    }

    private static async Task<string> DetokenizeAsync(HttpClient client, IReadOnlyList<int> tokens) =>
        (string)(await PostAsync(client, "/detokenize", new { tokens }))["prompt"]!;
}
