using System.Net;
using System.Text.Json.Nodes;
using MambaServe.Engine.Loading.Hub;
using MambaServe.Engine.Scheduling;
using MambaServe.Engine.State;
using MambaServe.Engine.Telemetry;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static MambaServe.Server.Tests.OpenAi.Chat.Templates.ChatMessages;

namespace MambaServe.Server.Tests.OpenAi.Chat;

/// <summary>The model's own chat template behind /v1/chat/completions: with a scripted engine, and the real demo model.</summary>
public sealed class ChatTemplateServingTests : IDisposable
{
    private const string ChatMlPrompt = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mambaserve-chat-template-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static ServerFactory WithTemplate(FakeEngine engine, string fixture, IReadOnlyDictionary<string, string> tokens)
    {
        var template = ModelChatTemplate.Parse(Fixture(fixture), tokens);
        return new ServerFactory(new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, engine, chatTemplate: template)));
    }

    [Fact]
    public async Task ChatCompletions_ModelTemplateWithEosToken_PromptIsTheRenderedTemplateWithEosAsOneToken()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = WithTemplate(engine, "zephyr.jinja", new Dictionary<string, string> { ["eos_token"] = "<|endoftext|>" });
        var client = await factory.CreateReadyClientAsync();
        var user = $"Hello {Random.Shared.Next(1000)}";

        using var response = await Json.PostAsync(client, "/v1/chat/completions", new
        {
            messages = new[] { new { role = "system", content = "Be brief." }, new { role = "user", content = user } },
            max_tokens = 2,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var prompt = Assert.Single(engine.Requests).PromptTokens;
        Assert.Equal(DemoTokenizer.Instance.Encode($"<|system|>\nBe brief.<|endoftext|>\n<|user|>\n{user}<|endoftext|>\n<|assistant|>\n"), prompt);
        // <|endoftext|> is the demo tokenizer's special added token (id 0): one id per message, never split into text pieces.
        Assert.Equal(2, prompt.Count(id => id == 0));
        Assert.Equal(prompt.Count, (int)(await Json.ReadAsync(response))["usage"]!["prompt_tokens"]!);
    }

    [Fact]
    public async Task ChatCompletions_AddGenerationPromptFalse_TemplateLeavesTheAssistantTagOut()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = WithTemplate(engine, "qwen2-chatml.jinja", new Dictionary<string, string>());
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/chat/completions",
            new { messages = new[] { new { role = "user", content = "Hello there" } }, max_tokens = 1, add_generation_prompt = false });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(DemoTokenizer.Instance.Encode(ChatMlPrompt[..^"<|im_start|>assistant\n".Length]), Assert.Single(engine.Requests).PromptTokens);
    }

    [Fact]
    public async Task ChatCompletions_TemplateRaisesException_400WithTheTemplatesMessageAndNoGeneration()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = WithTemplate(engine, "llama-2-chat.jinja", new Dictionary<string, string> { ["bos_token"] = "<|endoftext|>", ["eos_token"] = "<|endoftext|>" });
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/chat/completions",
            new { messages = new[] { new { role = "assistant", content = "first" } }, max_tokens = 1 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Json.ReadAsync(response))["error"]!;
        Assert.Equal("chat template error: Conversation roles must alternate user/assistant/user/assistant/...", (string?)error["message"]);
        Assert.Equal("messages", (string?)error["param"]);
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        Assert.Empty(engine.Requests);
    }

    [Fact]
    public async Task ChatCompletions_DemoModelCopyWithChatMlTemplate_ServerAppliesIt()
    {
        CopyDemoModel(Fixture("qwen2-chatml.jinja"));
        await using var factory = new ServerFactory(null, ModelSettings(_folder));
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/chat/completions",
            new { messages = new[] { new { role = "user", content = "Hello there" } }, max_tokens = 3, temperature = 0 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        int promptTokens = (int)(await Json.ReadAsync(response))["usage"]!["prompt_tokens"]!;
        Assert.Equal(DemoTokenizer.Instance.Encode(ChatMlPrompt).Count, promptTokens);
        Assert.NotEqual(DemoTokenizer.Instance.Encode(DefaultChatTemplate.Render([Msg("user", "Hello there")], true)).Count, promptTokens);
    }

    [Fact]
    public async Task LoadAsync_ModelWithBrokenTemplate_FailsWithOneLineNamingTheTemplateLine()
    {
        CopyDemoModel("{% for m in messages %}\n{{ m.content }}\n{% endfor");
        var loader = new ServedModelLoader(
            Options.Create(new ModelOptions { Path = _folder, Threads = 1 }), Options.Create(new SchedulerOptions()),
            Options.Create(new StatePoolOptions { SlotCount = 2 }), Options.Create(new MambaServe.Engine.Conversations.StateStoreOptions()), new EngineMetrics(),
            HubOptions.FromEnvironment(), NullLogger<ServedModelLoader>.Instance, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => loader.LoadAsync(CancellationToken.None));

        Assert.StartsWith("The model's chat_template is not a template this server can run: line 3: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    private void CopyDemoModel(string chatTemplate)
    {
        Directory.CreateDirectory(_folder);
        foreach (var file in Directory.GetFiles(TestPaths.DemoModel))
        {
            File.Copy(file, Path.Combine(_folder, Path.GetFileName(file)));
        }

        var configPath = Path.Combine(_folder, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = chatTemplate;
        File.WriteAllText(configPath, config.ToJsonString());
    }

    private static Dictionary<string, string?> ModelSettings(string path) => new()
    {
        ["MambaServe:Model:Path"] = path,
        ["MambaServe:Model:Threads"] = "1",
        ["MambaServe:StatePool:SlotCount"] = "2",
        ["MambaServe:Scheduler:MaxRunningSequences"] = "2",
    };
}
