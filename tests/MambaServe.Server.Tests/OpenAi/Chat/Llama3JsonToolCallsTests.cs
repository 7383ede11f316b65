using System.Net;
using System.Text.Json.Nodes;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi.Chat;

/// <summary>
/// --tool-call-parser llama3_json: an answer that opens with JSON calls (after <c>&lt;|python_tag|&gt;</c> or not),
/// one or several joined by <c>;</c>, with <c>parameters</c> or <c>arguments</c>, comes back as tool_calls with no
/// content; an answer that opens with text, or whose JSON is not a call, is content, streamed as it comes (a call-shaped
/// start is held back whole). Unit cases on the reader, then the chat endpoint and /v1/responses on scripted answers.
/// </summary>
public sealed class Llama3JsonToolCallsTests
{
    private const string TwoCalls = """
        {"name": "get_weather", "parameters": {"city": "Paris", "unit": "celsius"}}; {"name": "get_time", "arguments": {"zone": "CET"}}
        """;

    [Theory]
    [InlineData("{\"name\": \"f\", \"parameters\": {\"a\": [1, 2]}}", "f", "{\"a\": [1, 2]}")]
    [InlineData("<|python_tag|>{\"name\": \"f\", \"arguments\": {\"a\": 1}}", "f", "{\"a\": 1}")]
    [InlineData("\n  {\"name\": \"f\", \"parameters\": \"{\\\"a\\\":1}\"}\n", "f", "{\"a\":1}")]
    [InlineData("{\"name\": \"f\"} and then some words", "f", "{}")]
    [InlineData("{\"name\": \"f\", \"parameters\": {\"s\": \"a } ; { b\"}}", "f", "{\"s\": \"a } ; { b\"}")]
    public void Parse_OneCall_NoContentNameAndArguments(string text, string name, string arguments)
    {
        var (content, calls) = Llama3JsonToolCalls.Parse(text);

        Assert.Null(content);
        var call = Assert.Single(calls);
        Assert.Equal((name, arguments), (call.Name, call.Arguments));
    }

    [Fact]
    public void Parse_CallsJoinedBySemicolons_EachInOrder()
    {
        var (content, calls) = Llama3JsonToolCalls.Parse(TwoCalls);

        Assert.Null(content);
        Assert.Equal([("get_weather", """{"city": "Paris", "unit": "celsius"}"""), ("get_time", """{"zone": "CET"}""")],
            calls.Select(c => (c.Name, c.Arguments)));
    }

    [Theory]
    [InlineData("It is sunny.")]
    [InlineData("Here: {\"name\": \"f\", \"parameters\": {}}")]
    [InlineData("{\"city\": \"Paris\"}")]
    [InlineData("{\"name\": \"f\", \"parameters\": {\"a\": 1")]
    [InlineData("{\"name\": \"f\"}; {\"oops\": 1}")]
    [InlineData("{\"name\": \"f\"}; not json")]
    [InlineData("<|python_tag|>")]
    [InlineData("")]
    public void Parse_NoReadableCall_TheWholeTextIsContent(string text)
    {
        var (content, calls) = Llama3JsonToolCalls.Parse(text);

        Assert.Equal(text, content);
        Assert.Empty(calls);
    }

    [Fact]
    public void Parse_ArgumentsNestedPastTheJsonReadersDepth_Content()
    {
        string text = $"{{\"name\": \"f\", \"parameters\": {{\"a\": {new string('[', 100_000)}{new string(']', 100_000)}}}}}";

        var (content, calls) = Llama3JsonToolCalls.Parse(text);

        Assert.Equal(text, content);
        Assert.Empty(calls);
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("  \n", 0)]
    [InlineData("<|pyth", 0)]
    [InlineData("<|python_tag|>{\"na", 0)]
    [InlineData(" {\"name\"", 0)]
    [InlineData("Sure", 4)]
    [InlineData("<b>", 3)]
    [InlineData("It is {", 7)]
    public void HeldFrom_HoldsAllWhileTheAnswerMayOpenWithACall(string text, int held) => Assert.Equal(held, Llama3JsonToolCalls.HeldFrom(text));

    [Fact]
    public async Task Post_TwoCalls_ComeBackAsToolCallsWithoutContent()
    {
        await using var factory = AutoToolChoiceTests.WithTemplate(AutoToolChoiceTests.Scripted(TwoCalls), parser: "llama3_json");
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/chat/completions", AutoToolChoiceTests.Body(stream: false));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var choice = (await Json.ReadAsync(response))["choices"]![0]!;
        Assert.Equal("tool_calls", (string?)choice["finish_reason"]);
        Assert.Null((string?)choice["message"]!["content"]);
        var calls = choice["message"]!["tool_calls"]!.AsArray();
        Assert.Equal(["get_weather", "get_time"], calls.Select(c => (string?)c!["function"]!["name"]));
        Assert.Equal("""{"city": "Paris", "unit": "celsius"}""", (string?)calls[0]!["function"]!["arguments"]);
    }

    [Fact]
    public async Task Stream_TwoCalls_NoJsonLeaksIntoContent()
    {
        await using var factory = AutoToolChoiceTests.WithTemplate(AutoToolChoiceTests.Scripted(TwoCalls), parser: "llama3_json");
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/chat/completions", AutoToolChoiceTests.Body(stream: true));

        var chunks = (await Json.ReadEventsAsync(response)).Where(d => d != "[DONE]").Select(Json.Parse).ToList();
        var deltas = chunks.SelectMany(c => c["choices"]!.AsArray()).Select(c => c!["delta"]!).ToList();
        Assert.Equal("", string.Concat(deltas.Select(d => (string?)d["content"])));
        var calls = deltas.Where(d => d["tool_calls"] is not null).SelectMany(d => d["tool_calls"]!.AsArray()).ToList();
        Assert.Equal(["get_weather", "get_time"], calls.Select(c => (string?)c!["function"]!["name"]));
        Assert.Equal("tool_calls", chunks.SelectMany(c => c["choices"]!.AsArray()).Select(c => (string?)c!["finish_reason"]).Last(f => f is not null));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_TextAnswer_IsContentAndStops(bool stream)
    {
        const string text = "It is sunny in Paris: {\"name\": \"not a call\"}";
        await using var factory = AutoToolChoiceTests.WithTemplate(AutoToolChoiceTests.Scripted(text), parser: "llama3_json");
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/chat/completions", AutoToolChoiceTests.Body(stream));

        var (texts, finishes) = await Json.ReadChoicesAsync(response, stream, 1);
        Assert.Equal(text, texts[0]);
        Assert.Equal("stop", finishes[0]);
    }

    [Fact]
    public async Task Responses_TwoCalls_ComeBackAsFunctionCallItems()
    {
        await using var factory = AutoToolChoiceTests.WithTemplate(AutoToolChoiceTests.Scripted(TwoCalls), parser: "llama3_json");
        var client = await factory.CreateReadyClientAsync();
        var body = new JsonObject
        {
            ["input"] = "Weather and time in Paris?",
            ["max_output_tokens"] = 400,
            ["tools"] = new JsonArray(
                new JsonObject { ["type"] = "function", ["name"] = "get_weather" },
                new JsonObject { ["type"] = "function", ["name"] = "get_time" }),
        };

        using var response = await Json.PostAsync(client, "/v1/responses", body.ToJsonString());

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var output = (await Json.ReadAsync(response))["output"]!.AsArray();
        Assert.Equal(["function_call", "function_call"], output.Select(o => (string?)o!["type"]));
        Assert.Equal(["get_weather", "get_time"], output.Select(o => (string?)o!["name"]));
        Assert.Equal("""{"zone": "CET"}""", (string?)output[1]!["arguments"]);
    }
}
