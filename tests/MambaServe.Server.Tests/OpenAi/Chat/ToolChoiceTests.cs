using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.Tests.Infrastructure;
using MambaServe.Server.Tests.OpenAi.Chat.Templates;
using OpenAI.Chat;

namespace MambaServe.Server.Tests.OpenAi.Chat;

/// <summary>
/// A forced tool call (tool_choice naming a function, or "required" with one tool): the arguments follow the
/// function's parameters schema and come back as a tool call, through the official OpenAI .NET client and raw HTTP,
/// streamed and not; earlier calls in the messages reach the template; what cannot be done is a 400 naming the field.
/// </summary>
public sealed class ToolChoiceTests
{
    private const string Chat = "/v1/chat/completions";

    internal const string WeatherParameters =
        """{"type":"object","properties":{"city":{"type":"string","maxLength":24},"unit":{"enum":["celsius","fahrenheit"]}},"required":["city","unit"],"additionalProperties":false}""";

    [Fact]
    public async Task OpenAiClient_NamedFunction_ReturnsOneCallWhoseArgumentsFollowTheSchema()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var chat = OpenAiClients.Chat(await factory.CreateReadyClientAsync(), "mamba-demo-5m");
        var weather = OpenAI.Chat.ChatTool.CreateFunctionTool("get_weather", "The weather in a city", BinaryData.FromString(WeatherParameters));
        var options = new ChatCompletionOptions { Tools = { weather }, ToolChoice = ChatToolChoice.CreateFunctionChoice("get_weather"), Temperature = 0, MaxOutputTokenCount = 60 };

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("What is the weather in Paris?")], options);

        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.StartsWith("call_", call.Id, StringComparison.Ordinal);
        AssertWeather(call.FunctionArguments.ToString());
        Assert.Empty(completion.Content);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
    }

    [Fact]
    public async Task OpenAiClient_Streamed_TheCallArrivesInPartsThatJoinToValidArguments()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var chat = OpenAiClients.Chat(await factory.CreateReadyClientAsync(), "mamba-demo-5m");
        var weather = OpenAI.Chat.ChatTool.CreateFunctionTool("get_weather", "The weather in a city", BinaryData.FromString(WeatherParameters));
        var options = new ChatCompletionOptions { Tools = { weather }, ToolChoice = ChatToolChoice.CreateRequiredChoice(), Temperature = 0, MaxOutputTokenCount = 60 };

        var arguments = new StringBuilder();
        string? name = null, id = null;
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("What is the weather in Oslo?")], options))
        {
            finish = update.FinishReason ?? finish;
            foreach (var part in update.ToolCallUpdates)
            {
                Assert.Equal(0, part.Index);
                name ??= part.FunctionName;
                id ??= part.ToolCallId;
                arguments.Append(part.FunctionArgumentsUpdate?.ToString());
            }

            Assert.DoesNotContain(update.ContentUpdate, c => c.Text.Length > 0);
        }

        Assert.Equal("get_weather", name);
        Assert.StartsWith("call_", id, StringComparison.Ordinal);
        AssertWeather(arguments.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish); // "required": the model's call, as OpenAI reports it
    }

    /// <summary>
    /// "required" with two tools, as vLLM answers it: the model writes a JSON array of calls, each call's parameters by
    /// its own tool's schema, and they come back as tool_calls, streamed with the last chunk. With parallel_tool_calls
    /// false the array holds one call and ends (finish_reason tool_calls); otherwise the demo model keeps adding calls
    /// until max_tokens cuts it (length), and the calls it finished come back.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Post_RequiredWithTwoTools_CallsFollowTheirOwnSchemas(bool stream, bool parallel)
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        const string TimeParameters = """{"type":"object","properties":{"zone":{"enum":["UTC","CET"]}},"required":["zone"]}""";
        JsonObject Tool(string name, string parameters) => new()
        {
            ["type"] = "function", ["function"] = new JsonObject { ["name"] = name, ["parameters"] = JsonNode.Parse(parameters) },
        };
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Weather and time in Oslo?" }),
            ["max_tokens"] = 120, ["temperature"] = 1.0, ["seed"] = 7, ["n"] = 3, ["stream"] = stream,
            ["tools"] = new JsonArray(Tool("get_weather", WeatherParameters), Tool("get_time", TimeParameters)),
            ["tool_choice"] = "required", ["parallel_tool_calls"] = parallel,
        }.ToJsonString();

        using var response = await Json.PostAsync(client, Chat, body);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var choices = new List<(List<JsonNode> Calls, string? Finish, string Content)>();
        if (stream)
        {
            var chunks = (await Json.ReadEventsAsync(response)).Where(d => d != "[DONE]").Select(Json.Parse).SelectMany(c => c["choices"]!.AsArray()).ToList();
            foreach (var group in chunks.GroupBy(c => (int)c!["index"]!))
            {
                var deltas = group.Select(c => c!["delta"]!).ToList();
                choices.Add((
                    [.. deltas.Where(d => d["tool_calls"] is not null).SelectMany(d => d["tool_calls"]!.AsArray()).Select(c => c!)],
                    group.Select(c => (string?)c!["finish_reason"]).LastOrDefault(f => f is not null),
                    string.Concat(deltas.Select(d => (string?)d["content"]))));
            }
        }
        else
        {
            foreach (var choice in (await Json.ReadAsync(response))["choices"]!.AsArray())
            {
                choices.Add(([.. choice!["message"]!["tool_calls"]!.AsArray().Select(c => c!)], (string?)choice["finish_reason"], (string?)choice["message"]!["content"] ?? ""));
            }
        }

        Assert.Equal(3, choices.Count);
        foreach (var (calls, finish, content) in choices)
        {
            Assert.Equal(parallel ? "length" : "tool_calls", finish);
            Assert.Equal("", content);
            Assert.True(parallel ? calls.Count >= 1 : calls.Count == 1, $"{calls.Count} calls");
            foreach (var call in calls)
            {
                var name = (string?)call["function"]!["name"];
                var arguments = (string)call["function"]!["arguments"]!;
                Assert.StartsWith("call_", (string?)call["id"], StringComparison.Ordinal);
                if (name == "get_weather")
                {
                    AssertWeather(arguments);
                }
                else
                {
                    Assert.Equal("get_time", name);
                    Assert.Contains(JsonDocument.Parse(arguments).RootElement.GetProperty("zone").GetString(), new[] { "UTC", "CET" });
                }
            }
        }
    }

    [Fact]
    public async Task OpenAiClient_RequiredWithTwoToolsAndNoParallelCalls_ReadsOneCall()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var chat = OpenAiClients.Chat(await factory.CreateReadyClientAsync(), "mamba-demo-5m");
        var options = new ChatCompletionOptions
        {
            Tools =
            {
                OpenAI.Chat.ChatTool.CreateFunctionTool("get_weather", "The weather in a city", BinaryData.FromString(WeatherParameters)),
                OpenAI.Chat.ChatTool.CreateFunctionTool("get_time", "The time in a zone", BinaryData.FromString("""{"type":"object","properties":{"zone":{"enum":["UTC","CET"]}},"required":["zone"]}""")),
            },
            ToolChoice = ChatToolChoice.CreateRequiredChoice(), AllowParallelToolCalls = false, Temperature = 0, MaxOutputTokenCount = 80,
        };

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("What is the weather in Oslo?")], options);

        var call = Assert.Single(completion.ToolCalls);
        Assert.Contains(call.FunctionName, new[] { "get_weather", "get_time" });
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(call.FunctionArguments.ToString()).RootElement.ValueKind);
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
    }

    [Fact]
    public async Task Post_ToolChoiceNone_AnswersInTextAndTheTemplateSeesNoTools()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = WithTemplate(engine, "{% if tools %}TOOLS {{ tools[0].function.name }}\n{% endif %}{% for m in messages %}{{ m.content }}\n{% endfor %}");
        var client = await factory.CreateReadyClientAsync();

        var none = await PostOkAsync(client, Body("\"none\""));
        await PostOkAsync(client, Body("""{"type":"function","function":{"name":"get_weather"}}"""));

        var message = none["choices"]![0]!["message"]!.AsObject();
        Assert.False(message.ContainsKey("tool_calls"));
        Assert.NotNull((string?)message["content"]);
        var prompts = engine.Requests.Select(r => DemoTokenizer.Instance.Decode(r.PromptTokens)).ToList();
        Assert.Equal("Hi\n", prompts[0]);
        Assert.Equal("TOOLS get_weather\nHi\n", prompts[1]);
    }

    [Fact]
    public async Task Post_EarlierCallInTheMessages_TheTemplateSeesItsArgumentsAsAMap()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        const string template = "{% for m in messages %}{% if m.tool_calls %}{% for c in m.tool_calls %}{{ c.function.name }}:{{ c.function.arguments.city }}{% endfor %}{% else %}{{ m.role }}={{ m.content }}{% endif %}|{% endfor %}";
        await using var factory = WithTemplate(engine, template);
        var client = await factory.CreateReadyClientAsync();
        var body = """
            {"messages":[{"role":"user","content":"Weather?"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"cold"}],"max_tokens":2}
            """;

        await PostOkAsync(client, body);

        Assert.Equal("user=Weather?|get_weather:Oslo|tool=cold|", DemoTokenizer.Instance.Decode(Assert.Single(engine.Requests).PromptTokens));
    }

    [Fact]
    public async Task Post_QwenTemplate_ToolsAndAnEarlierCallRenderAsTransformersRendersThem()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = WithTemplate(engine, ChatMessages.Fixture("qwen2.5.jinja"));
        var client = await factory.CreateReadyClientAsync();
        var body = """
            {"messages":[{"role":"user","content":"Weather in Paris?"},
              {"role":"assistant","content":"","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"22C"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Get weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],
             "tool_choice":{"type":"function","function":{"name":"get_weather"}},"max_tokens":2}
            """;

        await PostOkAsync(client, body);

        // The same text as RealChatTemplateTests' transformers rendering of this conversation.
        Assert.Equal(
            ChatMessages.QwenToolConversation,
            DemoTokenizer.Instance.Decode(Assert.Single(engine.Requests).PromptTokens));
    }

    [Fact]
    public async Task Post_EarlierCallWithTheDefaultTemplate_RendersItsArguments()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var body = """
            {"messages":[{"role":"user","content":"Weather?"},
              {"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":" {\"city\": \"Oslo\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"cold"}],"max_tokens":2}
            """;

        await PostOkAsync(client, body);

        Assert.Equal("User: Weather?\nAssistant: {\"city\": \"Oslo\"}\nTool: cold\nAssistant:", DemoTokenizer.Instance.Decode(Assert.Single(engine.Requests).PromptTokens));
    }

    [Theory]
    [InlineData("\"auto\"", "tool_choice", "--enable-auto-tool-choice and --tool-call-parser hermes, llama3_json or pythonic")]
    [InlineData("""{"type":"function","function":{"name":"other"}}""", "tool_choice.function.name", "`other`")]
    [InlineData("""{"type":"function"}""", "tool_choice", "must be")]
    public async Task Post_ToolChoiceTheServerCannotHonour_Returns400NamingIt(string choice, string param, string message, bool twoTools = false)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, Chat, Body(choice, twoTools));

        await AssertRefusedAsync(response, param, message);
        Assert.Empty(engine.Requests);
    }

    [Theory]
    [InlineData("""{"tool_choice":"required"}""", "tool_choice", "needs tools")]
    [InlineData("""{"tools":[{"type":"retrieval"}],"tool_choice":"none"}""", "tools[0]", "\"function\"")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"a b"}}]}""", "tools[0].function.name", "1 to 64")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f","parameters":"x"}}],"tool_choice":"required"}""", "tools[0].function.parameters", "an object")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"number","minimum":0}}}],"tool_choice":"required"}""", "tools[0].function.parameters", "whole numbers")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required","response_format":{"type":"json_object"}}""", "response_format", "one output format")]
    [InlineData("""{"messages":[{"role":"user","content":"x","tool_calls":[]}]}""", "messages[0].tool_calls", "`assistant` message")]
    [InlineData("""{"messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":{}}}]}]}""", "messages[0].tool_calls[0]", "arguments")]
    [InlineData("""{"messages":[{"role":"user","content":"x","tool_call_id":"c"}]}""", "messages[0].tool_call_id", "`tool` message")]
    public async Task Post_BadToolsOrHistory_Returns400NamingTheField(string fields, string param, string message)
    {
        var engine = new FakeEngine(DemoTokenizer.Instance);
        await using var factory = ServerFactory.WithFake(engine, DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();
        var body = JsonNode.Parse(fields)!.AsObject();
        body["messages"] ??= new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hi" });
        body["max_tokens"] = 2;

        using var response = await Json.PostAsync(client, Chat, body.ToJsonString());

        await AssertRefusedAsync(response, param, message);
        Assert.Empty(engine.Requests);
    }

    internal static void AssertWeather(string arguments)
    {
        using var doc = JsonDocument.Parse(arguments);
        var root = doc.RootElement;
        Assert.Equal(["city", "unit"], root.EnumerateObject().Select(p => p.Name));
        Assert.True(root.GetProperty("city").GetString()!.Length <= 24, arguments);
        Assert.Contains(root.GetProperty("unit").GetString(), new[] { "celsius", "fahrenheit" });
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string param, string message)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var error = Json.Parse(text)["error"]!;
        Assert.Equal(param, (string?)error["param"]);
        Assert.Contains(message, (string?)error["message"], StringComparison.Ordinal);
    }

    private static string Body(string toolChoice, bool twoTools = false)
    {
        var tool = """{"type":"function","function":{"name":"get_weather","parameters":""" + WeatherParameters + "}}";
        var tools = twoTools ? tool + """,{"type":"function","function":{"name":"get_time"}}""" : tool;
        return $$"""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2,"tools":[{{tools}}],"tool_choice":{{toolChoice}}}""";
    }

    private static async Task<JsonNode> PostOkAsync(HttpClient client, string body)
    {
        using var response = await Json.PostAsync(client, Chat, body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await Json.ReadAsync(response);
    }

    private static ServerFactory WithTemplate(FakeEngine engine, string template) =>
        new(new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, engine,
            chatTemplate: ModelChatTemplate.Parse(template, new Dictionary<string, string> { ["eos_token"] = "<|endoftext|>" }))));
}
