using System.Net;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.OpenAi.Chat;

/// <summary>
/// --tool-call-parser pythonic: an answer that is a Python list of keyword-argument calls comes back as tool_calls, each
/// call's literals as its JSON arguments; text around the list, positional or repeated arguments, expressions and a cut
/// list leave the answer content. Unit cases on the reader, then the chat endpoint on scripted answers.
/// </summary>
public sealed class PythonicToolCallsTests
{
    private const string TwoCalls = """[get_weather(city="Paris", unit='celsius'), get_time(zone="CET")]""";

    [Theory]
    [InlineData("[f()]", "f", "{}")]
    [InlineData("[f(a=1, b=-2.5, c=1e3, d=1_000)]", "f", """{"a":1,"b":-2.5,"c":1000,"d":1000}""")]
    [InlineData("[f(ok=True, no=False, none=None,)]", "f", """{"ok":true,"no":false,"none":null}""")]
    [InlineData("""[f(s='it\'s "x"\n', u="caf\u00e9")]""", "f", """{"s":"it's \"x\"\n","u":"café"}""")]
    [InlineData("[f(xs=[1, 'a', [True]], d={'k': {'n': 2}, 3: None})]", "f", """{"xs":[1,"a",[true]],"d":{"k":{"n":2},"3":null}}""")]
    [InlineData("  [ find_2 ( q = 'a b' ) , ]\n", "find_2", """{"q":"a b"}""")]
    [InlineData("<|python_start|>[f(a=1)]<|python_end|>", "f", """{"a":1}""")]
    public void Parse_OneCall_NoContentNameAndJsonArguments(string text, string name, string arguments)
    {
        var (content, calls) = PythonicToolCalls.Parse(text);

        Assert.Null(content);
        var call = Assert.Single(calls);
        Assert.Equal((name, arguments), (call.Name, call.Arguments));
    }

    [Fact]
    public void Parse_TwoCalls_InOrder()
    {
        var (content, calls) = PythonicToolCalls.Parse(TwoCalls);

        Assert.Null(content);
        Assert.Equal([("get_weather", """{"city":"Paris","unit":"celsius"}"""), ("get_time", """{"zone":"CET"}""")],
            calls.Select(c => (c.Name, c.Arguments)));
    }

    [Theory]
    [InlineData("It is sunny.")]
    [InlineData("Sure: [f(a=1)]")]
    [InlineData("[f(a=1)] done")]
    [InlineData("[]")]
    [InlineData("[1, 2]")]
    [InlineData("[f(1)]")]
    [InlineData("[f(a=1, a=2)]")]
    [InlineData("[f(a=x)]")]
    [InlineData("[f(a=1 + 2)]")]
    [InlineData("[f(a=(1, 2))]")]
    [InlineData("[mod.f(a=1)]")]
    [InlineData("[f(a='open)]")]
    [InlineData("[f(a=1), g(b=")]
    [InlineData("[see here](https://example.com)")]
    public void Parse_NotAListOfCalls_TheWholeTextIsContent(string text)
    {
        var (content, calls) = PythonicToolCalls.Parse(text);

        Assert.Equal(text, content);
        Assert.Empty(calls);
    }

    [Theory]
    [InlineData(32, true)]
    [InlineData(33, false)]
    [InlineData(200_000, false)]
    public void Parse_NestedArguments_ReadToABoundThenContent(int depth, bool read)
    {
        string text = $"[f(a={new string('[', depth)}{new string(']', depth)})]";

        var (content, calls) = PythonicToolCalls.Parse(text);

        Assert.Equal(read ? null : text, content);
        Assert.Equal(read ? 1 : 0, calls.Count);
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData(" [get_wea", 0)]
    [InlineData("<|python_st", 0)]
    [InlineData("Sure", 4)]
    [InlineData("a [f()]", 7)]
    public void HeldFrom_HoldsAllWhileTheAnswerMayBeAList(string text, int held) => Assert.Equal(held, PythonicToolCalls.HeldFrom(text));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Chat_TwoCalls_ComeBackAsToolCallsWithoutContent(bool stream)
    {
        await using var factory = AutoToolChoiceTests.WithTemplate(AutoToolChoiceTests.Scripted(TwoCalls), parser: "pythonic");
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/chat/completions", AutoToolChoiceTests.Body(stream));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var choices = stream
            ? (await Json.ReadEventsAsync(response)).Where(d => d != "[DONE]").Select(Json.Parse).SelectMany(c => c["choices"]!.AsArray()).ToList()
            : [(await Json.ReadAsync(response))["choices"]![0]];
        var parts = choices.Select(c => c![stream ? "delta" : "message"]!).ToList();
        Assert.Equal("", string.Concat(parts.Select(p => (string?)p["content"])));
        var calls = parts.Where(p => p["tool_calls"] is not null).SelectMany(p => p["tool_calls"]!.AsArray()).ToList();
        Assert.Equal(["get_weather", "get_time"], calls.Select(c => (string?)c!["function"]!["name"]));
        Assert.Equal("""{"city":"Paris","unit":"celsius"}""", (string?)calls[0]!["function"]!["arguments"]);
        Assert.Equal("tool_calls", choices.Select(c => (string?)c!["finish_reason"]).Last(f => f is not null));
    }

    [Fact]
    public async Task Chat_TextAnswer_StreamsAsContent()
    {
        const string text = "Paris is sunny [citation needed].";
        await using var factory = AutoToolChoiceTests.WithTemplate(AutoToolChoiceTests.Scripted(text), parser: "pythonic");
        var client = await factory.CreateReadyClientAsync();

        using var response = await Json.PostAsync(client, "/v1/chat/completions", AutoToolChoiceTests.Body(stream: true));

        var (texts, finishes) = await Json.ReadChoicesAsync(response, true, 1);
        Assert.Equal(text, texts[0]);
        Assert.Equal("stop", finishes[0]);
    }
}
