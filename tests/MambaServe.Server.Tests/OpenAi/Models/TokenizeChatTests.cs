using System.Net;
using System.Text.Json.Nodes;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi.Models;

/// <summary>
/// vLLM's /tokenize of chat messages: the tokens are the ones the chat route prefills for the same fields (checked
/// against what the scripted engine received), plus add_special_tokens, return_token_strs and the refusals.
/// </summary>
public sealed class TokenizeChatTests
{
    private const string ChatMl =
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    private const string Messages = """[{"role":"system","content":"Be brief."},{"role":"user","content":"Tell me about the jury."},{"role":"assistant","content":"The jury"}]""";

    [Theory]
    [InlineData(false, "")]
    [InlineData(false, ",\"add_generation_prompt\":false")]
    [InlineData(false, ",\"add_generation_prompt\":false,\"continue_final_message\":true")]
    [InlineData(true, "")]
    [InlineData(true, ",\"add_generation_prompt\":false")]
    [InlineData(true, ",\"continue_final_message\":true")]
    public async Task Tokenize_Messages_AreTheTokensTheChatRoutePrefills(bool modelTemplate, string fields)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = modelTemplate ? WithTemplate(engine) : ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        var tokenized = await PostOkAsync(client, "/tokenize", $$"""{"messages":{{Messages}}{{fields}}}""");
        await PostOkAsync(client, "/v1/chat/completions", $$"""{"messages":{{Messages}},"max_tokens":1{{fields}}}""");

        var tokens = tokenized["tokens"]!.AsArray().Select(t => (int)t!).ToList();
        Assert.Equal(Assert.Single(engine.Requests).PromptTokens, tokens);
        Assert.Equal(tokens.Count, (int)tokenized["count"]!);
    }

    [Fact]
    public async Task Tokenize_MessagesWithAndWithoutTheGenerationPrompt_DifferByTheAssistantsOpener()
    {
        await using var factory = WithTemplate(new FakeEngine(DemoTokenizer.Instance));
        var client = await factory.CreateReadyClientAsync();

        var with = await PostOkAsync(client, "/tokenize", $$"""{"messages":{{Messages}}}""");
        var without = await PostOkAsync(client, "/tokenize", $$"""{"messages":{{Messages}},"add_generation_prompt":false}""");

        var rendered = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nTell me about the jury.<|im_end|>\n<|im_start|>assistant\nThe jury<|im_end|>\n";
        Assert.Equal(DemoTokenizer.Instance.Encode(rendered + "<|im_start|>assistant\n"), Ints(with["tokens"]));
        Assert.Equal(DemoTokenizer.Instance.Encode(rendered), Ints(without["tokens"]));
    }

    [Fact]
    public async Task Tokenize_ReturnTokenStrs_SpellsEachTokenAsTheVocabularyDoes()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var vocab = Json.Parse(File.ReadAllText(Path.Combine(TestPaths.DemoModel, "tokenizer.json")))["model"]!["vocab"]!.AsObject();

        var tokenized = await PostOkAsync(client, "/tokenize", """{"prompt":"The jury said it was over.<|endoftext|>","return_token_strs":true}""");

        var tokens = Ints(tokenized["tokens"]);
        var strs = tokenized["token_strs"]!.AsArray().Select(s => (string)s!).ToList();
        Assert.Equal(tokens.Count, strs.Count);
        Assert.Equal("<|endoftext|>", strs[^1]);
        for (int i = 0; i < tokens.Count - 1; i++)
        {
            Assert.Equal(tokens[i], (int)vocab[strs[i]]!);
        }

        Assert.Contains("Ġjury", strs);
    }

    [Fact]
    public async Task Tokenize_WithoutReturnTokenStrs_LeavesThemOut()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        var tokenized = (JsonObject)await PostOkAsync(client, "/tokenize", """{"prompt":"The jury","return_token_strs":false,"add_special_tokens":true}""");

        Assert.False(tokenized.ContainsKey("token_strs"));
    }

    [Theory]
    [InlineData("""{"prompt":"hi","messages":[{"role":"user","content":"hi"}]}""", "prompt", "either prompt or messages")]
    [InlineData("""{"prompt":"hi","add_generation_prompt":true}""", "add_generation_prompt", "applies to messages only")]
    [InlineData("""{"prompt":"hi","chat_template_kwargs":{"x":1}}""", "chat_template_kwargs", "applies to messages only")]
    [InlineData("""{}""", "prompt", "prompt or messages is required")]
    [InlineData("""{"messages":[{"content":"hi"}]}""", "messages[0].role", "role")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"chat_template":"{{ messages }}"}""", "chat_template", "not supported")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"continue_final_message":true}""", "messages[0].role", "assistant")]
    public async Task Tokenize_BadRequest_Returns400NamingTheField(string body, string param, string message)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/tokenize", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json.ReadAsync(response))["error"]!;
        Assert.Equal(param, (string?)error["param"]);
        Assert.Contains(message, (string?)error["message"], StringComparison.Ordinal);
    }

    private static ServerFactory WithTemplate(FakeEngine engine) =>
        new(new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, engine,
            chatTemplate: ModelChatTemplate.Parse(ChatMl, new Dictionary<string, string> { ["eos_token"] = "<|endoftext|>" }))));

    private static List<int> Ints(JsonNode? node) => node!.AsArray().Select(t => (int)t!).ToList();

    private static async Task<JsonNode> PostOkAsync(HttpClient client, string path, string body)
    {
        using var response = await Json.PostAsync(client, path, body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json.ReadAsync(response);
    }
}
