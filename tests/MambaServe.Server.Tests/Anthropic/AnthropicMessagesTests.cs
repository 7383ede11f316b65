using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MambaServe.Server.Tests.Infrastructure;
using MambaServe.Server.Tests.OpenAi.Chat;
using MambaServe.Server.Tests.OpenAi.Responses;

namespace MambaServe.Server.Tests.Anthropic;

/// <summary>
/// POST /v1/messages on the wire: blocks rendered as chat renders the same conversation, stop sequences, prefill,
/// streamed tool_use, auto tool use through the Hermes parser, API keys by x-api-key, and bad requests answered in
/// Anthropic's error shape.
/// </summary>
public sealed class AnthropicMessagesTests
{
    private const string Messages = "/v1/messages";

    [Fact]
    public async Task Blocks_RenderAsChatRendersTheSameConversation()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { StopAfter = 2 };
        await using var factory = ResponsesFunctionToolTests.WithTemplate(engine);
        var client = await factory.CreateReadyClientAsync();
        const string Tools = """[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]""";

        using var anthropic = await Json.PostAsync(client, Messages, $$$"""
            {"model":"fake-model","max_tokens":4,"tool_choice":{"type":"none"},"tools":{{{Tools}}},
             "system":[{"type":"text","text":"Be brief."},{"type":"text","text":" Be kind."}],
             "messages":[
               {"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]},
               {"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"18 C"}]},
                                         {"type":"tool_result","tool_use_id":"toolu_1","content":"down","is_error":true},
                                         {"type":"text","text":"Thanks."}]}]}
            """);
        using var chat = await Json.PostAsync(client, "/v1/chat/completions", """
            {"model":"fake-model","max_tokens":4,"tool_choice":"none","tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
             "messages":[
               {"role":"system","content":[{"type":"text","text":"Be brief."},{"type":"text","text":" Be kind."}]},
               {"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]},
               {"role":"assistant","content":[{"type":"text","text":"Checking."}],"tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
               {"role":"tool","tool_call_id":"toolu_1","content":"18 C"},
               {"role":"tool","tool_call_id":"toolu_1","content":"Error: down"},
               {"role":"user","content":[{"type":"text","text":"Thanks."}]}]}
            """);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (anthropic.StatusCode, chat.StatusCode));
        var requests = engine.Requests.ToArray();
        Assert.Equal(requests[1].PromptTokens, requests[0].PromptTokens);
        Assert.Contains("(toolu_1)", DemoTokenizer.Instance.Decode([.. requests[0].PromptTokens]), StringComparison.Ordinal);
        var body = await Json.ReadAsync(anthropic);
        Assert.Equal(("message", "assistant", "end_turn"), ((string?)body["type"], (string?)body["role"], (string?)body["stop_reason"]));
        Assert.Equal(engine.TextOf(engine.TokensOf(0, 4)), (string?)body["content"]![0]!["text"]);
        Assert.Equal(2, (int)body["usage"]!["output_tokens"]!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StopSequence_EndsTheTextBeforeIt_AndIsNamed(bool stream)
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        string whole = await AnthropicClientTests.ChatAnswerAsync(client, """[{"role":"user","content":"Tell me about the jury."}]""");
        // A stop sequence from inside the greedy answer: the answer ends just before its first occurrence.
        string stop = whole.Substring(whole.Length / 2, 3);
        int at = whole.IndexOf(stop, StringComparison.Ordinal);

        var (text, stopReason, sequence) = await CreateAsync(client, $$"""
            {"model":"mamba-demo-5m","max_tokens":12,"temperature":0,"stop_sequences":["zzqx",{{System.Text.Json.JsonSerializer.Serialize(stop)}}],
             "messages":[{"role":"user","content":"Tell me about the jury."}]}
            """, stream);

        Assert.Equal(whole[..at], text);
        Assert.Equal(("stop_sequence", stop), (stopReason, sequence));
    }

    [Fact]
    public async Task Prefill_ContinuesTheAssistantsText_AsChatsContinueFinalMessageDoes()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        using var chat = await Json.PostAsync(client, "/v1/chat/completions", """
            {"max_tokens":8,"temperature":0,"continue_final_message":true,"add_generation_prompt":false,
             "messages":[{"role":"user","content":"Tell me about the jury."},{"role":"assistant","content":"The jury said"}]}
            """);

        var (text, stopReason, _) = await CreateAsync(client, """
            {"model":"mamba-demo-5m","max_tokens":8,"temperature":0,
             "messages":[{"role":"user","content":"Tell me about the jury."},{"role":"assistant","content":"The jury said"}]}
            """, stream: false);

        Assert.Equal((string?)(await Json.ReadAsync(chat))["choices"]![0]!["message"]!["content"], text);
        Assert.Equal("max_tokens", stopReason);
    }

    [Fact]
    public async Task EmptyFinalAssistantMessage_AsksForNoPrefill()
    {
        var engine = new FakeEngine(DemoTokenizer.Instance) { StopAfter = 2 };
        await using var factory = ResponsesFunctionToolTests.WithTemplate(engine); // a template that shows each message's turn
        var client = await factory.CreateReadyClientAsync();

        using var without = await Json.PostAsync(client, Messages, """{"model":"fake-model","max_tokens":4,"messages":[{"role":"user","content":"Hi"}]}""");
        using var empty = await Json.PostAsync(client, Messages, """{"model":"fake-model","max_tokens":4,"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":""}]}""");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (without.StatusCode, empty.StatusCode));
        var requests = engine.Requests.ToArray();
        Assert.Equal(requests[0].PromptTokens, requests[1].PromptTokens);
    }

    [Fact]
    public async Task StreamedForcedToolUse_InputDeltasJoinToTheSchemasObject()
    {
        await using var factory = ServerFactory.WithDemoModel();
        var client = await factory.CreateReadyClientAsync();
        using var response = await Json.PostAsync(client, Messages, $$"""
            {"model":"mamba-demo-5m","max_tokens":60,"temperature":0,"stream":true,"tool_choice":{"type":"any"},
             "tools":[{"name":"get_weather","input_schema":{{ToolChoiceTests.WeatherParameters}}}],
             "messages":[{"role":"user","content":"What is the weather in Oslo?"}]}
            """);

        var events = await ResponsesEndpointTests.ReadEventsAsync(response);
        var start = Assert.Single(events, e => e.Type == "content_block_start");
        var input = string.Concat(events.Where(e => e.Type == "content_block_delta").Select(e => (string?)e.Data["delta"]!["partial_json"]));

        Assert.Equal(("tool_use", "get_weather"), ((string?)start.Data["content_block"]!["type"], (string?)start.Data["content_block"]!["name"]));
        Assert.StartsWith("call_", (string?)start.Data["content_block"]!["id"], StringComparison.Ordinal);
        ToolChoiceTests.AssertWeather(input);
        Assert.StartsWith("{", input, StringComparison.Ordinal); // SDKs parse the input so far: no whitespace-only piece
        Assert.Equal("tool_use", (string?)events.Single(e => e.Type == "message_delta").Data["delta"]!["stop_reason"]);
        Assert.Equal(["message_start", "content_block_start"], events.Take(2).Select(e => e.Type));
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], events.TakeLast(3).Select(e => e.Type));
        Assert.All(events, e => Assert.Equal(e.Type, (string?)e.Data["type"]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AutoToolUse_WithTheHermesParser_ReadsTheCallsOutOfTheText(bool stream)
    {
        var engine = AutoToolChoiceTests.Scripted(AutoToolChoiceTests.TwoCalls);
        await using var factory = ResponsesFunctionToolTests.WithTemplate(engine);
        var client = await factory.CreateReadyClientAsync();
        var body = $$$"""
            {"model":"fake-model","max_tokens":400,"stream":{{{(stream ? "true" : "false")}}},
             "tools":[{"name":"get_weather","input_schema":{"type":"object"}},{"name":"get_time","input_schema":{"type":"object"}}],
             "messages":[{"role":"user","content":"Weather and time in Paris?"}]}
            """;

        JsonArray content;
        string? stopReason;
        using var response = await Json.PostAsync(client, Messages, body);
        if (stream)
        {
            var events = await ResponsesEndpointTests.ReadEventsAsync(response);
            content = Rebuild(events);
            stopReason = (string?)events.Single(e => e.Type == "message_delta").Data["delta"]!["stop_reason"];
            Assert.DoesNotContain(events, e => ((string?)e.Data["delta"]?["text"])?.Contains("<tool", StringComparison.Ordinal) == true);
        }
        else
        {
            var message = await Json.ReadAsync(response);
            content = message["content"]!.AsArray();
            stopReason = (string?)message["stop_reason"];
        }

        Assert.Equal("tool_use", stopReason);
        Assert.Equal(["text", "tool_use", "tool_use"], content.Select(b => (string?)b!["type"]));
        Assert.Equal("Let me check.", (string?)content[0]!["text"]);
        Assert.Equal(("get_weather", "Paris"), ((string?)content[1]!["name"], (string?)content[1]!["input"]!["city"]));
        Assert.Equal(("get_time", "CET"), ((string?)content[2]!["name"], (string?)content[2]!["input"]!["zone"]));
    }

    [Fact]
    public async Task ApiKeys_AreTakenFromXApiKey_AndAWrongOneIs401InAnthropicsShape()
    {
        var settings = new Dictionary<string, string?> { ["MambaServe:Server:ApiKeys:0"] = "sk-alice" };
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance, settings: settings);
        var client = await factory.CreateReadyClientAsync();
        const string Body = """{"model":"fake-model","max_tokens":2,"messages":[{"role":"user","content":"Hi"}]}""";

        using var right = await SendAsync(client, Body, "x-api-key", "sk-alice");
        using var bearer = await SendAsync(client, Body, "Authorization", "Bearer sk-alice");
        using var wrong = await SendAsync(client, Body, "x-api-key", "sk-bob");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Unauthorized), (right.StatusCode, bearer.StatusCode, wrong.StatusCode));
        var error = await Json.ReadAsync(wrong);
        Assert.Equal(("error", "authentication_error"), ((string?)error["type"], (string?)error["error"]!["type"]));
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}]}""", 400, "max_tokens")]
    [InlineData("""{"max_tokens":0,"messages":[{"role":"user","content":"Hi"}]}""", 400, "max_tokens")]
    [InlineData("""{"max_tokens":2,"temperature":1.5,"messages":[{"role":"user","content":"Hi"}]}""", 400, "temperature")]
    [InlineData("""{"max_tokens":2,"messages":[]}""", 400, "messages")]
    [InlineData("""{"max_tokens":2,"messages":[{"role":"system","content":"Hi"}]}""", 400, "`system`")]
    [InlineData("""{"max_tokens":2,"messages":[{"role":"user","content":5}]}""", 400, "messages[0].content")]
    [InlineData("""{"max_tokens":2,"messages":[{"role":"user","content":[{"type":"image","source":{}}]}]}""", 400, "messages[0].content[0].type")]
    [InlineData("""{"max_tokens":2,"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"f","input":{}}]}]}""", 400, "messages[0].content[0].type")]
    [InlineData("""{"max_tokens":2,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":"x"}]},{"role":"user","content":"Hi"}]}""", 400, "messages[0].content[0].input")]
    [InlineData("""{"max_tokens":2,"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":{}}]}]}""", 400, "tool_result")]
    [InlineData("""{"max_tokens":2,"system":5,"messages":[{"role":"user","content":"Hi"}]}""", 400, "system")]
    [InlineData("""{"max_tokens":2,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"Hi"}]}""", 400, "thinking")]
    [InlineData("""{"max_tokens":2,"tools":[{"type":"bash_20250124","name":"bash"}],"messages":[{"role":"user","content":"Hi"}]}""", 400, "tools[0].type")]
    [InlineData("""{"max_tokens":2,"tools":[{"name":"a b","input_schema":{}}],"messages":[{"role":"user","content":"Hi"}]}""", 400, "tools[0].name")]
    [InlineData("""{"max_tokens":2,"tools":[{"name":"f"}],"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"Hi"}]}""", 400, "tools[0].input_schema")]
    [InlineData("""{"max_tokens":2,"tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"tool","name":"g"},"messages":[{"role":"user","content":"Hi"}]}""", 400, "tool_choice.name")]
    [InlineData("""{"max_tokens":2,"tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"sometimes"},"messages":[{"role":"user","content":"Hi"}]}""", 400, "tool_choice")]
    [InlineData("""{"max_tokens":2,"tools":[{"name":"f","input_schema":{}}],"messages":[{"role":"user","content":"Hi"}]}""", 400, "--enable-auto-tool-choice")]
    [InlineData("""{"max_tokens":2,"metadata":{"user_id":5},"messages":[{"role":"user","content":"Hi"}]}""", 400, "metadata")]
    [InlineData("""{"max_tokens":2,"frequency_penalty":1,"messages":[{"role":"user","content":"Hi"}]}""", 400, "frequency_penalty")]
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":2,"messages":[{"role":"user","content":"Hi"}]}""", 404, "claude-sonnet-4-5")]
    [InlineData("""{"max_tokens":2,"output_config":{"effort":"high"},"messages":[{"role":"user","content":"Hi"}]}""", 400, "output_config.effort")]
    [InlineData("""{"max_tokens":2,"output_config":{"format":{"type":"text"}},"messages":[{"role":"user","content":"Hi"}]}""", 400, "output_config.format")]
    [InlineData("""{"max_tokens":2,"output_config":{"format":{"type":"json_schema"}},"messages":[{"role":"user","content":"Hi"}]}""", 400, "output_config.format.schema")]
    [InlineData("""{"max_tokens":2,"output_config":{"format":{"type":"json_schema","schema":{}}},"output_format":{"type":"json_schema","schema":{}},"messages":[{"role":"user","content":"Hi"}]}""", 400, "not both")]
    [InlineData("""{"max_tokens":2,"output_format":{"type":"json_schema","schema":{}},"tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"Hi"}]}""", 400, "output_format goes with a text answer")]
    [InlineData("""{"max_tokens":2,"container":"c_1","messages":[{"role":"user","content":"Hi"}]}""", 400, "container")]
    [InlineData("""{"max_tokens":2,"mcp_servers":[],"messages":[{"role":"user","content":"Hi"}]}""", 400, "mcp_servers")]
    public async Task BadRequest_IsAnsweredInAnthropicsErrorShape(string body, int status, string mentioned)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, Messages, body);

        var error = await Json.ReadAsync(response);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("error", (string?)error["type"]);
        Assert.Equal(status == 404 ? "not_found_error" : "invalid_request_error", (string?)error["error"]!["type"]);
        Assert.Contains(mentioned, (string?)error["error"]!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task FieldsThatDescribeTheCaller_AreAccepted()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, Messages, """
            {"max_tokens":2,"messages":[{"role":"user","content":[{"type":"text","text":"Hi","cache_control":{"type":"ephemeral"}}]}],
             "cache_control":{"type":"ephemeral"},"service_tier":"auto","inference_geo":"us","speed":"standard","workspace_id":"w",
             "user_profile_id":"u","diagnostics":{"previous_message_id":"msg_1"},"metadata":{"user_id":"u-1"},"thinking":{"type":"disabled"},
             "output_config":{"effort":null}}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The text, stop reason and stop sequence of an answer, whole or rebuilt from its events.</summary>
    private static async Task<(string Text, string? StopReason, string? StopSequence)> CreateAsync(HttpClient client, string body, bool stream)
    {
        var node = JsonNode.Parse(body)!.AsObject();
        node["stream"] = stream;
        using var response = await Json.PostAsync(client, Messages, node.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (!stream)
        {
            var message = await Json.ReadAsync(response);
            return (string.Concat(message["content"]!.AsArray().Select(b => (string?)b!["text"])), (string?)message["stop_reason"], (string?)message["stop_sequence"]);
        }

        var events = await ResponsesEndpointTests.ReadEventsAsync(response);
        var delta = events.Single(e => e.Type == "message_delta").Data["delta"]!;
        return (string.Concat(Rebuild(events).Select(b => (string?)b!["text"])), (string?)delta["stop_reason"], (string?)delta["stop_sequence"]);
    }

    /// <summary>The content blocks a client rebuilds from the events: each block's start, its text or input JSON joined.</summary>
    private static JsonArray Rebuild(List<(string Type, JsonNode Data)> events)
    {
        var blocks = new JsonArray();
        var input = new StringBuilder();
        foreach (var (type, data) in events)
        {
            switch (type)
            {
                case "content_block_start":
                    blocks.Add(data["content_block"]!.DeepClone());
                    input.Clear();
                    break;
                case "content_block_delta" when data["delta"]!["type"]!.GetValue<string>() == "text_delta":
                    blocks[^1]!["text"] = (string?)blocks[^1]!["text"] + (string?)data["delta"]!["text"];
                    break;
                case "content_block_delta":
                    input.Append((string?)data["delta"]!["partial_json"]);
                    break;
                case "content_block_stop" when (string?)blocks[^1]!["type"] == "tool_use":
                    blocks[^1]!["input"] = JsonNode.Parse(input.ToString());
                    break;
            }
        }

        return blocks;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string body, string header, string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Messages) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(header, value);
        return await client.SendAsync(request);
    }
}
