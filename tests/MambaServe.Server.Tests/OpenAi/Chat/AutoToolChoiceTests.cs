using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.Tests.Infrastructure;
using OpenAI.Chat;

namespace MambaServe.Server.Tests.OpenAi.Chat;

/// <summary>
/// tool_choice "auto" with --enable-auto-tool-choice --tool-call-parser hermes: the calls a model writes in the Hermes
/// format come back as tool_calls (finish_reason tool_calls), the text before them as content, streamed without any
/// part of the call tag leaking into the content; text without a readable call stays content. Scripted answers on the
/// fake engine, through raw HTTP and the official OpenAI .NET client.
/// </summary>
public sealed class AutoToolChoiceTests
{
    private const string Chat = "/v1/chat/completions";
    private const string Template = "{% if tools %}TOOLS {{ tools | map(attribute='function.name') | join(',') }}\n{% endif %}{% for m in messages %}{{ m.content }}\n{% endfor %}";
    internal const string TwoCalls = """
        Let me check.<tool_call>
        {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}
        </tool_call>
        <tool_call>
        {"name": "get_time", "arguments": {"zone": "CET"}}
        </tool_call>
        """;

    internal static readonly Dictionary<string, string?> AutoToolChoiceOn = new()
    {
        ["MambaServe:Server:EnableAutoToolChoice"] = "true",
        ["MambaServe:Server:ToolCallParser"] = "hermes",
    };

    [Theory]
    [InlineData("Let me check.<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": [1, 2]}}</tool_call>", "Let me check.", "f", "{\"a\": [1, 2]}")]
    [InlineData("<tool_call>\n{\"name\": \"f\", \"arguments\": \"{\\\"a\\\":1}\"}", null, "f", "{\"a\":1}")]
    [InlineData("<tool_call>{\"name\": \"f\"}</tool_call>", null, "f", "{}")]
    public void Parse_OneCall_ContentNameAndArguments(string text, string? content, string name, string arguments)
    {
        var (parsedContent, calls) = HermesToolCalls.Parse(text);

        Assert.Equal(content, parsedContent);
        var call = Assert.Single(calls);
        Assert.Equal((name, arguments), (call.Name, call.Arguments));
    }

    [Theory]
    [InlineData("No call here.")]
    [InlineData("<tool_call>{\"name\": \"f\", \"arguments\": {</tool_call>")]
    [InlineData("<tool_call>{\"arguments\": {}}</tool_call>")]
    [InlineData("ok <tool_call>{\"name\": \"f\"}</tool_call><tool_call>not json</tool_call>")]
    public void Parse_NoReadableCall_TheWholeTextIsContent(string text)
    {
        var (content, calls) = HermesToolCalls.Parse(text);

        Assert.Equal(text, content);
        Assert.Empty(calls);
    }

    [Theory]
    [InlineData("abc", 0)]
    [InlineData("abc<", 1)]
    [InlineData("abc<tool_ca", 8)]
    [InlineData("<tool_call", 10)]
    [InlineData("a<b", 0)]
    public void PartialOpenAtEnd_CountsOnlyAPrefixOfTheTag(string text, int held) => Assert.Equal(held, HermesToolCalls.PartialOpenAtEnd(text));

    [Fact]
    public async Task Post_TwoCalls_ComeBackAsToolCallsAfterTheContent_AndTheTemplateSawTheTools()
    {
        var engine = Scripted(TwoCalls);
        await using var factory = WithTemplate(engine);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, Chat, Body(stream: false));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var choice = (await Json.ReadAsync(response))["choices"]![0]!;
        Assert.Equal("tool_calls", (string?)choice["finish_reason"]);
        Assert.Equal("Let me check.", (string?)choice["message"]!["content"]);
        var calls = choice["message"]!["tool_calls"]!.AsArray();
        Assert.Equal(["get_weather", "get_time"], calls.Select(c => (string?)c!["function"]!["name"]));
        Assert.Equal("""{"city": "Paris", "unit": "celsius"}""", (string?)calls[0]!["function"]!["arguments"]);
        Assert.All(calls, c => Assert.StartsWith("call_", (string?)c!["id"], StringComparison.Ordinal));
        Assert.StartsWith("TOOLS get_weather,get_time\n", DemoTokenizer.Instance.Decode(Assert.Single(engine.Requests).PromptTokens), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_TwoCalls_ContentThenTheCalls_NoPartOfTheTagInTheContent()
    {
        await using var factory = WithTemplate(Scripted(TwoCalls));
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, Chat, Body(stream: true));

        var chunks = (await Json.ReadEventsAsync(response)).Where(d => d != "[DONE]").Select(Json.Parse).ToList();
        var deltas = chunks.SelectMany(c => c["choices"]!.AsArray()).Select(c => c!["delta"]!).ToList();
        Assert.Equal("Let me check.", string.Concat(deltas.Select(d => (string?)d["content"])));
        var calls = deltas.Where(d => d["tool_calls"] is not null).SelectMany(d => d["tool_calls"]!.AsArray()).ToList();
        Assert.Equal([0, 1], calls.Select(c => (int)c!["index"]!));
        Assert.Equal(["get_weather", "get_time"], calls.Select(c => (string?)c!["function"]!["name"]));
        Assert.Equal("""{"zone": "CET"}""", (string?)calls[1]!["function"]!["arguments"]);
        Assert.Equal("tool_calls", chunks.SelectMany(c => c["choices"]!.AsArray()).Select(c => (string?)c!["finish_reason"]).Last(f => f is not null));
    }

    [Fact]
    public async Task Post_ParallelToolCallsFalse_KeepsTheFirstCall()
    {
        await using var factory = WithTemplate(Scripted(TwoCalls));
        var client = await factory.CreateReadyClientAsync();
        var body = JsonNode.Parse(Body(stream: false))!.AsObject();
        body["parallel_tool_calls"] = false;

        using var response = await Json.PostAsync(client, Chat, body.ToJsonString());

        var calls = (await Json.ReadAsync(response))["choices"]![0]!["message"]!["tool_calls"]!.AsArray();
        Assert.Equal("get_weather", (string?)Assert.Single(calls)!["function"]!["name"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_TextWithoutAReadableCall_IsContentAndStops(bool stream)
    {
        const string text = "It is sunny. <tool_call>{oops";
        await using var factory = WithTemplate(Scripted(text));
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, Chat, Body(stream));

        var (texts, finishes) = await Json.ReadChoicesAsync(response, stream, 1);
        Assert.Equal(text, texts[0]);
        Assert.Equal("stop", finishes[0]);
    }

    [Fact]
    public async Task OpenAiClient_AutoToolsStreamed_ReadsTheCalls()
    {
        await using var factory = WithTemplate(Scripted(TwoCalls));
        var chat = OpenAiClients.Chat(await factory.CreateReadyClientAsync(), "fake-model");
        var options = new ChatCompletionOptions
        {
            Tools = { OpenAI.Chat.ChatTool.CreateFunctionTool("get_weather"), OpenAI.Chat.ChatTool.CreateFunctionTool("get_time") },
            MaxOutputTokenCount = 400,
        };

        var names = new List<string>();
        var arguments = new Dictionary<int, StringBuilder>();
        var content = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Weather and time in Paris?")], options))
        {
            content.Append(string.Concat(update.ContentUpdate.Select(c => c.Text)));
            foreach (var part in update.ToolCallUpdates)
            {
                if (part.FunctionName is { } name)
                {
                    names.Add(name);
                }

                (arguments.TryGetValue(part.Index, out var sb) ? sb : arguments[part.Index] = new StringBuilder()).Append(part.FunctionArgumentsUpdate?.ToString());
            }

            finish = update.FinishReason ?? finish;
        }

        Assert.Equal("Let me check.", content.ToString());
        Assert.Equal(["get_weather", "get_time"], names);
        Assert.Equal("""{"city": "Paris", "unit": "celsius"}""", arguments[0].ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    /// <summary>An engine whose one sample writes <paramref name="text"/> and stops.</summary>
    internal static FakeEngine Scripted(string text)
    {
        var ids = DemoTokenizer.Instance.Encode(text);
        return new FakeEngine(DemoTokenizer.Instance) { Script = ids, StopAfter = ids.Count };
    }

    internal static string Body(bool stream) => new JsonObject
    {
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Weather and time in Paris?" }),
        ["max_tokens"] = 400, // the demo tokenizer spends many tokens on JSON punctuation
        ["stream"] = stream,
        ["tools"] = new JsonArray(
            new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = "get_weather" } },
            new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = "get_time" } }),
    }.ToJsonString();

    /// <summary>The scripted engine served as <c>fake-model</c> with <paramref name="template"/> and auto tool choice on (the Hermes parser unless <paramref name="parser"/> names another).</summary>
    internal static ServerFactory WithTemplate(FakeEngine engine, string template = Template, string parser = "hermes") =>
        new(new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, engine,
            chatTemplate: ModelChatTemplate.Parse(template, new Dictionary<string, string> { ["eos_token"] = "<|endoftext|>" }))),
            new Dictionary<string, string?>(AutoToolChoiceOn) { ["MambaServe:Server:ToolCallParser"] = parser });
}
