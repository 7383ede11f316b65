using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.Tests.Infrastructure;
using MambaServe.Server.Tests.OpenAi.Chat;

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>
/// Function tools on /v1/responses, through raw HTTP: a forced call (by name, or required) answers with one
/// function_call item whose arguments follow the schema (the demo model under the constraint); with the Hermes parser
/// on, the calls a model writes come back as function_call items after the message, streamed with no part of the call
/// tag in the text; the function's results continue the conversation by previous_response_id or by the whole history,
/// and the template sees the calls, the results and the tools either way.
/// </summary>
public sealed class ResponsesFunctionToolTests
{
    private const string Path = "/v1/responses";

    // Shows the tools, each message's role and content, an assistant's calls and a result's call id.
    internal const string Template =
        "{% if tools %}TOOLS {{ tools | map(attribute='function.name') | join(',') }}\n{% endif %}"
        + "{% for m in messages %}{{ m.role }}: {{ m.content }}"
        + "{% if m.tool_calls %}{% for c in m.tool_calls %}[{{ c.function.name }} {{ c.id }} {{ c.function.arguments.city }}]{% endfor %}{% endif %}"
        + "{% if m.tool_call_id %}({{ m.tool_call_id }}){% endif %}\n{% endfor %}assistant:";

    [Theory]
    [InlineData("named")]
    [InlineData("required")]
    public async Task Forced_OneFunctionCallItem_ArgumentsFollowTheSchema(string how)
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        var choice = how == "named" ? (JsonNode)new JsonObject { ["type"] = "function", ["name"] = "get_weather" } : "required";

        using var response = await Json.PostAsync(client, Path, Body("What is the weather in Paris?", choice, stream: false));

        var body = await ReadOkAsync(response);
        Assert.Equal("completed", (string?)body["status"]);
        var call = Assert.Single(body["output"]!.AsArray())!;
        Assert.Equal(("function_call", "get_weather", "completed"), ((string?)call["type"], (string?)call["name"], (string?)call["status"]));
        Assert.Matches("^fc_[0-9a-f]+$", (string?)call["id"]);
        Assert.Matches("^call_[0-9a-f]+$", (string?)call["call_id"]);
        ToolChoiceTests.AssertWeather((string)call["arguments"]!);
        Assert.Equal(choice.ToJsonString(), body["tool_choice"]!.ToJsonString());
        Assert.Equal("get_weather", (string?)body["tools"]![0]!["name"]);
    }

    [Fact]
    public async Task ForcedStreamed_ArgumentDeltasJoinToTheCall_NoTextEvents()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, Path, Body("What is the weather in Oslo?", "required", stream: true));

        var events = await ResponsesEndpointTests.ReadEventsAsync(response);
        var types = events.Select(e => e.Type).ToList();
        Assert.Equal(["response.created", "response.in_progress", "response.output_item.added"], types[..3]);
        Assert.Equal(["response.function_call_arguments.done", "response.output_item.done", "response.completed"], types[^3..]);
        Assert.All(types[3..^3], t => Assert.Equal("response.function_call_arguments.delta", t));
        Assert.DoesNotContain(types, t => t.StartsWith("response.output_text", StringComparison.Ordinal));
        var added = events[2].Data["item"]!;
        Assert.Equal(("function_call", "", "in_progress"), ((string?)added["type"], (string?)added["arguments"], (string?)added["status"]));
        string arguments = string.Concat(events.Where(e => e.Type == "response.function_call_arguments.delta").Select(e => (string?)e.Data["delta"]));
        ToolChoiceTests.AssertWeather(arguments);
        Assert.Equal(arguments, (string?)events[^3].Data["arguments"]);
        Assert.Equal("get_weather", (string?)events[^3].Data["name"]);
        Assert.All(events.Where(e => e.Type.StartsWith("response.function_call_arguments", StringComparison.Ordinal)),
            e => Assert.Equal((string?)added["id"], (string?)e.Data["item_id"]));
        var call = Assert.Single(events[^1].Data["response"]!["output"]!.AsArray())!;
        Assert.Equal((arguments, (string?)added["call_id"]), ((string?)call["arguments"], (string?)call["call_id"]));
    }

    [Fact]
    public async Task RequiredOfSeveral_EachCallFollowsItsTool()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        var body = Body("Weather and time in Rome?", "required", stream: false);
        body["tools"]!.AsArray().Add(new JsonObject
        {
            ["type"] = "function", ["name"] = "get_time",
            ["parameters"] = JsonNode.Parse("""{"type":"object","properties":{"zone":{"enum":["CET","UTC"]}},"required":["zone"],"additionalProperties":false}"""),
        });
        body["max_output_tokens"] = 120;

        using var response = await Json.PostAsync(client, Path, body);

        var output = (await ReadOkAsync(response))["output"]!.AsArray();
        Assert.NotEmpty(output);
        foreach (var call in output)
        {
            Assert.Equal("function_call", (string?)call!["type"]);
            if ((string?)call["name"] == "get_weather")
            {
                ToolChoiceTests.AssertWeather((string)call["arguments"]!);
            }
            else
            {
                Assert.Equal("get_time", (string?)call["name"]);
                Assert.Contains(JsonNode.Parse((string)call["arguments"]!)!["zone"]!.GetValue<string>(), new[] { "CET", "UTC" });
            }
        }
    }

    [Fact]
    public async Task Auto_TheCallsFollowTheMessage_AndTheTemplateSawTheTools()
    {
        var engine = TwoCallsEngine();
        await using var factory = WithTemplate(engine);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, Path, Body("Weather and time in Paris?", null, stream: false, "get_time"));

        var body = await ReadOkAsync(response);
        var output = body["output"]!.AsArray();
        Assert.Equal(["message", "function_call", "function_call"], output.Select(o => (string?)o!["type"]));
        Assert.All(output, o => Assert.Equal(["type", "id", "status"], o!.AsObject().Take(3).Select(p => p.Key)));  // OpenAI's order
        Assert.Equal("Let me check.", (string?)output[0]!["content"]![0]!["text"]);
        Assert.Equal(["get_weather", "get_time"], output.Skip(1).Select(o => (string?)o!["name"]));
        Assert.Equal("""{"city": "Paris", "unit": "celsius"}""", (string?)output[1]!["arguments"]);
        Assert.Equal("auto", (string?)body["tool_choice"]);
        Assert.StartsWith("TOOLS get_weather,get_time\n", DemoTokenizer.Instance.Decode(Assert.Single(engine.Requests).PromptTokens), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auto_ParallelToolCallsFalse_KeepsTheFirstCall()
    {
        await using var factory = WithTemplate(TwoCallsEngine());
        var client = await factory.CreateReadyClientAsync();
        var body = Body("Weather and time in Paris?", "auto", stream: false, "get_time");
        body["parallel_tool_calls"] = false;

        using var response = await Json.PostAsync(client, Path, body);

        var output = (await ReadOkAsync(response))["output"]!.AsArray();
        Assert.Equal(["message", "function_call"], output.Select(o => (string?)o!["type"]));
        Assert.Equal("get_weather", (string?)output[1]!["name"]);
    }

    [Fact]
    public async Task AutoStreamed_TextThenTheCalls_NoPartOfTheTagInTheText()
    {
        await using var factory = WithTemplate(TwoCallsEngine());
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, Path, Body("Weather and time in Paris?", "auto", stream: true, "get_time"));

        var events = await ResponsesEndpointTests.ReadEventsAsync(response);
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => (int)e.Data["sequence_number"]!));
        Assert.Equal("Let me check.", string.Concat(events.Where(e => e.Type == "response.output_text.delta").Select(e => (string?)e.Data["delta"])));
        var added = events.Where(e => e.Type == "response.output_item.added").Select(e => e.Data).ToList();
        Assert.Equal([0, 1, 2], added.Select(a => (int)a["output_index"]!));
        Assert.Equal(["message", "function_call", "function_call"], added.Select(a => (string?)a["item"]!["type"]));
        var done = events.Where(e => e.Type == "response.function_call_arguments.done").Select(e => e.Data).ToList();
        Assert.Equal(["get_weather", "get_time"], done.Select(d => (string?)d["name"]));
        Assert.Equal("""{"zone": "CET"}""", (string?)done[1]["arguments"]);
        var completed = events[^1].Data["response"]!;
        Assert.Equal("response.completed", events[^1].Type);
        Assert.Equal(done.Select(d => (string?)d["item_id"]), completed["output"]!.AsArray().Skip(1).Select(o => (string?)o!["id"]));
        // Each item's events sit between its added and done.
        int messageDone = events.FindIndex(e => e.Type == "response.output_item.done");
        Assert.True(messageDone < events.FindIndex(e => e.Type == "response.output_item.added" && (int)e.Data["output_index"]! == 1));
    }

    [Fact]
    public async Task Results_ByPreviousResponseIdOrByTheWholeHistory_TheModelSeesTheSameConversation()
    {
        var engine = TwoCallsEngine();
        await using var factory = WithTemplate(engine);
        var client = await factory.CreateReadyClientAsync();
        using var first = await Json.PostAsync(client, Path, Body("Weather and time in Paris?", "auto", stream: false, "get_time"));
        var firstBody = await ReadOkAsync(first);
        var calls = firstBody["output"]!.AsArray().Skip(1).Select(o => o!).ToList();
        var results = new JsonArray(
            Result((string)calls[0]["call_id"]!, "18 C, sunny"),
            new JsonObject { ["type"] = "function_call_output", ["call_id"] = (string)calls[1]["call_id"]!, ["output"] = new JsonArray(new JsonObject { ["type"] = "input_text", ["text"] = "14:05" }) });

        var continued = Body(results, "none", stream: false, "get_time");
        continued["previous_response_id"] = (string)firstBody["id"]!;
        using var second = await Json.PostAsync(client, Path, continued);
        var secondBody = await ReadOkAsync(second);

        JsonNode[] items =
        [
            new JsonObject { ["role"] = "user", ["content"] = "Weather and time in Paris?" },
            new JsonObject { ["type"] = "message", ["role"] = "assistant", ["content"] = "Let me check." },
            .. calls.Select(c => new JsonObject { ["type"] = "function_call", ["call_id"] = (string)c["call_id"]!, ["name"] = (string)c["name"]!, ["arguments"] = (string)c["arguments"]! }),
            .. results.Select(r => r!.DeepClone()),
        ];
        var history = new JsonArray(items);
        using var whole = await Json.PostAsync(client, Path, Body(history, "none", stream: false, "get_time"));
        await ReadOkAsync(whole);

        var requests = engine.Requests.ToArray();
        var prompt = DemoTokenizer.Instance.Decode(requests[1].PromptTokens);
        Assert.Equal(prompt, DemoTokenizer.Instance.Decode(requests[2].PromptTokens));
        string id0 = (string)calls[0]["call_id"]!, id1 = (string)calls[1]["call_id"]!;
        // (The template's newlines after a block tag are trimmed, as transformers renders chat templates.)
        Assert.Equal($"user: Weather and time in Paris?assistant: Let me check.[get_weather {id0} Paris][get_time {id1} ]tool: 18 C, sunny({id0})tool: 14:05({id1})assistant:", prompt);
        Assert.DoesNotContain("TOOLS", prompt);  // tool_choice none: the template is not shown the tools
        Assert.Equal("message", (string?)secondBody["output"]![0]!["type"]);
    }

    [Fact]
    public async Task Results_ForACallTheConversationNeverMade_Is400()
    {
        var engine = TwoCallsEngine();
        await using var factory = WithTemplate(engine);
        var client = await factory.CreateReadyClientAsync();
        using var first = await Json.PostAsync(client, Path, Body("Weather and time in Paris?", "auto", stream: false, "get_time"));
        var body = Body(new JsonArray(Result("call_0000", "18 C")), "none", stream: false);
        body["previous_response_id"] = (string)(await ReadOkAsync(first))["id"]!;

        using var response = await Json.PostAsync(client, Path, body);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Contains("call_0000", text, StringComparison.Ordinal);
        Assert.Single(engine.Requests);
    }

    private static JsonObject Result(string callId, string output) =>
        new() { ["type"] = "function_call_output", ["call_id"] = callId, ["output"] = output };

    private static async Task<JsonNode> ReadOkAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return Json.Parse(text);
    }

    /// <summary>A request with the weather function (and <paramref name="more"/> functions without parameters).</summary>
    private static JsonObject Body(JsonNode input, JsonNode? choice, bool stream, params string[] more)
    {
        var tools = new JsonArray(new JsonObject
        {
            ["type"] = "function", ["name"] = "get_weather", ["description"] = "The weather in a city", ["parameters"] = JsonNode.Parse(ToolChoiceTests.WeatherParameters),
        });
        foreach (var name in more)
        {
            tools.Add(new JsonObject { ["type"] = "function", ["name"] = name });
        }

        var body = new JsonObject { ["input"] = input, ["tools"] = tools, ["stream"] = stream, ["max_output_tokens"] = 400, ["temperature"] = 0 };
        if (choice is not null)
        {
            body["tool_choice"] = choice;
        }

        return body;
    }

    /// <summary>The scripted engine of the chat tests whose answer is some text and two Hermes calls.</summary>
    private static FakeEngine TwoCallsEngine() => AutoToolChoiceTests.Scripted(AutoToolChoiceTests.TwoCalls);

    internal static ServerFactory WithTemplate(FakeEngine engine) =>
        new(new FakeModelLoader(new FakeServedModel("fake-model", DemoTokenizer.Instance, engine,
            chatTemplate: ModelChatTemplate.Parse(Template, new Dictionary<string, string> { ["eos_token"] = "<|endoftext|>" }))), AutoToolChoiceTests.AutoToolChoiceOn);
}
