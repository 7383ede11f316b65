using System.Net;
using System.Text.Json.Nodes;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi.Chat;

/// <summary>
/// vLLM's chat extras against the scripted engine: continue_final_message, chat_template_kwargs, chat_template (refused,
/// or served behind Server:TrustRequestChatTemplate) and request_id (completions too), streamed and not.
/// </summary>
public sealed class ChatExtrasTests
{
    private const string Chat = "/v1/chat/completions";
    private const string Completions = "/v1/completions";

    private const string ChatMl =
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    [Theory]
    [InlineData(false, "")]
    [InlineData(true, "")]
    [InlineData(false, ",\"add_generation_prompt\":false")]
    public async Task Post_ContinueFinalMessage_DefaultTemplate_PromptEndsWithTheAssistantContent(bool stream, string extra)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var partial = $"Once upon a time {Random.Shared.Next(1000)}";

        using var response = await Json.PostAsync(client, Chat,
            $$"""{"messages":[{"role":"user","content":"Tell a story"},{"role":"assistant","content":"{{partial}}"}],"max_tokens":3,"continue_final_message":true,"stream":{{(stream ? "true" : "false")}}{{extra}}}""");

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var prompt = Assert.Single(engine.Requests).PromptTokens;
        Assert.Equal(DemoTokenizer.Instance.Encode($"User: Tell a story\nAssistant: {partial}"), prompt);
        Assert.NotEqual(DemoTokenizer.Instance.Encode(DefaultChatTemplate.Render(
            [Message("user", "Tell a story"), Message("assistant", partial)], addGenerationPrompt: true)), prompt);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_ContinueFinalMessage_ModelTemplate_CutsWhatFollowsTheFinalContent(bool stream)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = WithTemplate(engine, ChatMl);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, Chat,
            $$"""{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello, I am"}],"max_tokens":2,"continue_final_message":true,"add_generation_prompt":false,"stream":{{(stream ? "true" : "false")}}}""");

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal(DemoTokenizer.Instance.Encode("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello, I am"), Assert.Single(engine.Requests).PromptTokens);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hel"}],"continue_final_message":true,"add_generation_prompt":true}""", "continue_final_message", "Cannot set both `continue_final_message` and `add_generation_prompt` to True.")]
    [InlineData("""{"messages":[{"role":"assistant","content":"Hel"},{"role":"user","content":"Hi"}],"continue_final_message":true}""", "messages[1].role", "continue_final_message needs the last message to be the assistant's")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"continue_final_message":true,"stream":true}""", "messages[0].role", "`user`")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"chat_template_kwargs":{"messages":[]}}""", "chat_template_kwargs.messages", "cannot set `messages`")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"chat_template_kwargs":{"add_generation_prompt":false}}""", "chat_template_kwargs.add_generation_prompt", "add_generation_prompt field")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"chat_template_kwargs":{"eos_token":"x"}}""", "chat_template_kwargs.eos_token", "special tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"chat_template_kwargs":{"chat_template":"x"}}""", "chat_template_kwargs.chat_template", "chat_template field")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"chat_template_kwargs":{"n":[1,1e400]}}""", "chat_template_kwargs.n[1]", "out of range")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"chat_template":"{{ messages[0].content }}"}""", "chat_template", "this server does not take a chat template from the request")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"request_id":""}""", "request_id", "request_id must be 1 to 256 characters")]
    public async Task Post_RefusedChatExtra_Returns400NamingTheField(string body, string param, string message)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = WithTemplate(engine, ChatMl);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, Chat, body);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var error = Json.Parse(text)["error"]!;
        Assert.Equal(param, (string?)error["param"]);
        Assert.Contains(message, (string?)error["message"], StringComparison.Ordinal);
        Assert.Empty(engine.Requests);
    }

    [Fact]
    public async Task Post_ChatTemplateKwargs_ReachTheModelTemplate()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        const string template = "{% if enable_thinking is defined and not enable_thinking %}/no_think {% endif %}{{ who | default('nobody') }}|{{ tags | join(',') }}|{{ cfg.depth * 2 }}|{{ ratio }}|{{ nothing is none }}|{% for m in messages %}{{ m.content }}{% endfor %}";
        await using var factory = WithTemplate(engine, template);
        var client = await factory.CreateReadyClientAsync();

        using var with = await Json.PostAsync(client, Chat,
            """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":1,"chat_template_kwargs":{"enable_thinking":false,"who":"ann","tags":["a","b"],"cfg":{"depth":21},"ratio":0.5,"nothing":null}}""");

        Assert.True(with.StatusCode == HttpStatusCode.OK, await with.Content.ReadAsStringAsync());
        var prompt = Assert.Single(engine.Requests).PromptTokens;
        Assert.Equal("/no_think ann|a,b|42|0.5|True|Hi", engine.TextOf(prompt));
        Assert.Equal(DemoTokenizer.Instance.Encode("/no_think ann|a,b|42|0.5|True|Hi"), prompt);
    }

    [Fact]
    public async Task Post_ChatTemplateKwargs_DefaultTemplateUsesNoneAndServes()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, Chat, """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":1,"chat_template_kwargs":{"enable_thinking":false}}""");

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal(DemoTokenizer.Instance.Encode("User: Hi\nAssistant:"), Assert.Single(engine.Requests).PromptTokens);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_ChatTemplate_TrustedServer_RendersTheRequestTemplate(bool stream)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance, settings: s_trusted);
        var client = await factory.CreateReadyClientAsync();
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }, new JsonObject { ["role"] = "assistant", ["content"] = "Hel" }),
            ["max_tokens"] = 1,
            ["stream"] = stream,
            ["continue_final_message"] = true,
            ["chat_template"] = ChatMl,
        };

        using var response = await Json.PostAsync(client, Chat, body.ToJsonString());

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal(DemoTokenizer.Instance.Encode("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHel"), Assert.Single(engine.Requests).PromptTokens);
    }

    [Theory]
    [InlineData("{% for m in messages %}{{ m.content }}", "chat_template is not a template this server can run")]
    [InlineData(null, "chat_template must be at most 200 characters long")]
    public async Task Post_ChatTemplate_TrustedServer_BadOrLongTemplateIs400(string? template, string message)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance, settings: s_trusted);
        var client = await factory.CreateReadyClientAsync();
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }),
            ["chat_template"] = template ?? new string('x', 201),
        };

        using var response = await Json.PostAsync(client, Chat, body.ToJsonString());

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Equal("chat_template", (string?)Json.Parse(text)["error"]!["param"]);
        Assert.Contains(message, text, StringComparison.Ordinal);
        Assert.Empty(engine.Requests);
    }

    [Theory]
    [InlineData(Chat, false, "chatcmpl-")]
    [InlineData(Chat, true, "chatcmpl-")]
    [InlineData(Completions, false, "cmpl-")]
    [InlineData(Completions, true, "cmpl-")]
    public async Task Post_RequestId_IsTheResponseId(string path, bool stream, string prefix)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var requestId = $"trace-{Guid.NewGuid():N}/é";
        var body = new JsonObject
        {
            ["max_tokens"] = 3,
            ["stream"] = stream,
            ["request_id"] = requestId,
            ["stream_options"] = stream ? new JsonObject { ["include_usage"] = true } : null,
        };
        body[path == Chat ? "messages" : "prompt"] = path == Chat ? new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" }) : "Hi";

        using var response = await Json.PostAsync(client, path, body.ToJsonString());

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        if (stream)
        {
            var events = await Json.ReadEventsAsync(response);
            Assert.Equal("[DONE]", events[^1]);
            Assert.True(events.Count > 3);
            Assert.All(events[..^1], e => Assert.Equal(prefix + requestId, (string?)Json.Parse(e)["id"]));
        }
        else
        {
            Assert.Equal(prefix + requestId, (string?)(await Json.ReadAsync(response))["id"]);
        }
    }

    [Theory]
    [InlineData(Completions, "\"\"")]
    [InlineData(Completions, "null")]
    [InlineData(Chat, "\"\"")]
    [InlineData(Chat, "257")]
    public async Task Post_RequestId_EmptyOrTooLong_Is400(string path, string value)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var json = value == "257" ? $"\"{new string('a', 257)}\"" : value;
        var common = path == Chat ? "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]" : "\"prompt\":\"Hi\"";

        using var response = await Json.PostAsync(client, path, $"{{{common},\"max_tokens\":1,\"request_id\":{json}}}");

        if (value == "null")
        {
            // null is "no id": a random one, as when the field is absent.
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Matches("^cmpl-[0-9a-f]{32}$", (string?)(await Json.ReadAsync(response))["id"]);
            return;
        }

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Equal("request_id", (string?)Json.Parse(text)["error"]!["param"]);
        Assert.Contains($"request_id must be 1 to 256 characters long; it has {(value == "257" ? 257 : 0)}.", text, StringComparison.Ordinal);
        Assert.Empty(engine.Requests);
    }

    private static readonly Dictionary<string, string?> s_trusted = new()
    {
        ["MambaServe:Server:TrustRequestChatTemplate"] = "true",
        ["MambaServe:Server:MaxRequestChatTemplateChars"] = "200",
    };

    private static ServerFactory WithTemplate(FakeEngine engine, string template) =>
        new(new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, engine,
            chatTemplate: ModelChatTemplate.Parse(template, new Dictionary<string, string> { ["eos_token"] = "<|endoftext|>" }))));

    private static ChatMessage Message(string role, string content) =>
        new() { Role = role, Content = System.Text.Json.JsonSerializer.SerializeToElement(content) };
}
