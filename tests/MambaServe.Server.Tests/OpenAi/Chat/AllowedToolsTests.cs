using System.Net;
using System.Text.Json.Nodes;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi.Chat;

/// <summary>
/// tool_choice allowed_tools on chat and Responses: the model sees and may call only the listed tools, in mode
/// required (one listed tool is a forced call, several a list of calls) or auto; bad specs are 400s naming the field.
/// </summary>
public sealed class AllowedToolsTests
{
    private const string Template = "{% if tools %}TOOLS{% for t in tools %} {{ t.function.name }}{% endfor %};\n{% endif %}{% for m in messages %}{{ m.content }}\n{% endfor %}";
    private const string ChatTools = """[{"type":"function","function":{"name":"a"}},{"type":"function","function":{"name":"b"}},{"type":"function","function":{"name":"c"}}]""";
    private const string ResponseTools = """[{"type":"function","name":"a"},{"type":"function","name":"b"},{"type":"function","name":"c"}]""";

    [Theory]
    [InlineData("""[{"type":"function","function":{"name":"b"}}]""", "TOOLS b;\nHi\n")]
    [InlineData("""[{"type":"function","function":{"name":"c"}},{"type":"function","function":{"name":"a"}}]""", "TOOLS a c;\nHi\n")]
    public async Task Chat_AllowedToolsRequired_TheTemplateSeesOnlyThem(string listed, string prompt)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = WithTemplate(engine);
        var client = await factory.CreateReadyClientAsync();

        await PostOkAsync(client, "/v1/chat/completions", ChatBody("""{"type":"allowed_tools","allowed_tools":{"mode":"required","tools":""" + listed + "}}"));

        Assert.Equal(prompt, DemoTokenizer.Instance.Decode(Assert.Single(engine.Requests).PromptTokens));
    }

    [Fact]
    public async Task Chat_AllowedToolsRequiredWithOne_IsThatForcedCall()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = WithTemplate(engine);
        var client = await factory.CreateReadyClientAsync();

        var answer = await PostOkAsync(client, "/v1/chat/completions",
            ChatBody("""{"type":"allowed_tools","allowed_tools":{"mode":"required","tools":[{"type":"function","function":{"name":"b"}}]}}"""));

        Assert.Equal("b", (string?)Assert.Single(answer["choices"]![0]!["message"]!["tool_calls"]!.AsArray())!["function"]!["name"]);
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/responses")]
    public async Task AllowedToolsAuto_WithTheHermesParser_ShowsOnlyThemToTheModel(string path)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = WithTemplate(engine, new Dictionary<string, string?>
        {
            ["MambaServe:Server:EnableAutoToolChoice"] = "true", ["MambaServe:Server:ToolCallParser"] = "hermes",
        });
        var client = await factory.CreateReadyClientAsync();
        string body = path == "/v1/responses"
            ? $$$"""{"input":"Hi","max_output_tokens":2,"tools":{{{ResponseTools}}},"tool_choice":{"type":"allowed_tools","mode":"auto","tools":[{"type":"function","name":"b"},{"type":"function","name":"c"}]}}"""
            : ChatBody("""{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[{"type":"function","function":{"name":"b"}},{"type":"function","function":{"name":"c"}}]}}""");

        await PostOkAsync(client, path, body);

        Assert.Equal("TOOLS b c;\nHi\n", DemoTokenizer.Instance.Decode(Assert.Single(engine.Requests).PromptTokens));
    }

    [Fact]
    public async Task Responses_AllowedToolsRequiredWithOne_IsThatForcedCall_AndTheResponseEchoesTheChoice()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = WithTemplate(engine);
        var client = await factory.CreateReadyClientAsync();
        const string choice = """{"type":"allowed_tools","mode":"required","tools":[{"type":"function","name":"c"}]}""";

        var response = await PostOkAsync(client, "/v1/responses", $$"""{"input":"Hi","max_output_tokens":2,"tools":{{ResponseTools}},"tool_choice":{{choice}}}""");

        Assert.Equal("TOOLS c;\nHi\n", DemoTokenizer.Instance.Decode(Assert.Single(engine.Requests).PromptTokens));
        var call = Assert.Single(response["output"]!.AsArray());
        Assert.Equal(("function_call", "c"), ((string?)call!["type"], (string?)call["name"]));
        Assert.Equal(JsonNode.Parse(choice)!.ToJsonString(), response["tool_choice"]!.ToJsonString());
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[{"type":"function","function":{"name":"a"}}]}}""", "tool_choice", "--enable-auto-tool-choice")]
    [InlineData("/v1/chat/completions", """{"type":"allowed_tools","allowed_tools":{"mode":"any","tools":[{"type":"function","function":{"name":"a"}}]}}""", "tool_choice.allowed_tools.mode", "`auto` or `required`")]
    [InlineData("/v1/chat/completions", """{"type":"allowed_tools","allowed_tools":{"mode":"required","tools":[]}}""", "tool_choice.allowed_tools.tools", "at least one")]
    [InlineData("/v1/chat/completions", """{"type":"allowed_tools","allowed_tools":{"mode":"required","tools":[{"type":"function","function":{"name":"z"}}]}}""", "tool_choice.allowed_tools.tools[0]", "`z`")]
    [InlineData("/v1/chat/completions", """{"type":"allowed_tools","allowed_tools":{"mode":"required","tools":[{"type":"mcp","server_label":"x"}]}}""", "tool_choice.allowed_tools.tools[0]", "function tools only")]
    [InlineData("/v1/chat/completions", """{"type":"allowed_tools","mode":"required","tools":[{"type":"function","function":{"name":"a"}}]}""", "tool_choice.allowed_tools", "required")]
    [InlineData("/v1/responses", """{"type":"allowed_tools","mode":"required","tools":[{"type":"function","name":"z"}]}""", "tool_choice.tools[0]", "`z`")]
    [InlineData("/v1/responses", """{"type":"allowed_tools","mode":"required"}""", "tool_choice.tools", "required")]
    [InlineData("/v1/responses", """{"type":"allowed_tools","mode":"required","tools":[{"type":"function"}]}""", "tool_choice.tools[0].name", "required")]
    [InlineData("/v1/responses", """{"type":"allowed_tools","mode":"required","tools":[{"type":"function","name":"a"}],"extra":1}""", "tool_choice.extra", "not a field")]
    public async Task BadAllowedTools_Is400NamingTheField(string path, string choice, string param, string message)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = WithTemplate(engine);
        var client = await factory.CreateReadyClientAsync();
        string body = path == "/v1/responses"
            ? $$"""{"input":"Hi","max_output_tokens":2,"tools":{{ResponseTools}},"tool_choice":{{choice}}}"""
            : ChatBody(choice);

        using var response = await Json.PostAsync(client, path, body);

        var error = (await Json.ReadAsync(response))["error"]!;
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, error.ToJsonString());
        Assert.Equal(param, (string?)error["param"]);
        Assert.Contains(message, (string?)error["message"], StringComparison.Ordinal);
        Assert.Empty(engine.Requests);
    }

    private static string ChatBody(string choice) =>
        $$"""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"tools":{{ChatTools}},"tool_choice":{{choice}}}""";

    private static async Task<JsonNode> PostOkAsync(HttpClient client, string path, string body)
    {
        using var response = await Json.PostAsync(client, path, body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await Json.ReadAsync(response);
    }

    private static ServerFactory WithTemplate(FakeEngine engine, IReadOnlyDictionary<string, string?>? settings = null) =>
        new(new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, engine,
            chatTemplate: ModelChatTemplate.Parse(Template, new Dictionary<string, string> { ["eos_token"] = "<|endoftext|>" }))), settings);
}
