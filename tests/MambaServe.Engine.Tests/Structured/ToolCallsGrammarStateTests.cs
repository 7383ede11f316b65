using System.Text;
using System.Text.Json;
using MambaServe.Engine.Structured;

namespace MambaServe.Engine.Tests.Structured;

/// <summary>The calls array of tool_choice "required" with several tools: each call's parameters by its own tool's schema.</summary>
public sealed class ToolCallsGrammarStateTests
{
    private static readonly ToolCallsGrammar s_tools = Tools(several: true);

    [Theory]
    [InlineData("""[{"name": "get_time", "parameters": {"zone": "UTC"}}]""")]
    [InlineData("""[{"name": "get_weather", "parameters": { "city": "Oslo" , "days": 3 }}, {"name": "get_time", "parameters": {"zone": "CET"}}]""")]
    [InlineData("""[{"name": "get_time", "parameters": {"zone": "UTC"}}, {"name": "get_time", "parameters": {"zone": "UTC"}}]""")]
    public void Feed_ArraysOfCallsByTheirSchemas_Complete(string text)
    {
        Assert.True(ToolCallsGrammarState.Start(s_tools).Feed(Encoding.UTF8.GetBytes(text), out var end) && end.IsComplete, text);
    }

    [Theory]
    [InlineData("""[]""")]                                                                      // no call
    [InlineData("""[{"name": "get_date", "parameters": {}}]""")]                                // not a tool
    [InlineData("""[{"name": "get_time", "parameters": {"zone": "PST"}}]""")]                    // not in the tool's enum
    [InlineData("""[{"name": "get_time", "parameters": {"city": "Oslo", "days": 3}}]""")]        // the other tool's parameters
    [InlineData("""[{"name": "get_weather", "parameters": {"city": "Oslo", "days": 1.5}}]""")]   // not an integer
    [InlineData("""[{"name": "get_time", "parameters": {"zone": "UTC"}}] """)]                   // past the end
    public void Feed_WhatTheSchemasDoNotAllow_Refused(string text)
    {
        Assert.False(ToolCallsGrammarState.Start(s_tools).Feed(Encoding.UTF8.GetBytes(text), out var end) && end.IsComplete, text);
    }

    [Fact]
    public void Feed_OneCallOnly_ASecondIsRefused()
    {
        var one = ToolCallsGrammarState.Start(Tools(several: false));

        Assert.True(one.Feed("""[{"name": "get_time", "parameters": {"zone": "UTC"}}]"""u8, out var end) && end.IsComplete);
        Assert.False(one.Feed("""[{"name": "get_time", "parameters": {"zone": "UTC"}}, """u8, out _));
    }

    /// <summary>Random walks of allowed bytes that end when complete always parse, each call by its own schema.</summary>
    [Fact]
    public void RandomWalks_OfAllowedBytes_EndInValidCalls()
    {
        var rng = new Random(12);
        var alphabet = Enumerable.Range(0x20, 0x5F).Select(b => (byte)b).ToArray();
        int finished = 0;
        for (int walk = 0; walk < 300; walk++)
        {
            var state = ToolCallsGrammarState.Start(s_tools);
            var text = new List<byte>();
            for (int step = 0; step < 400 && !state.IsComplete; step++)
            {
                var allowed = alphabet.Where(b => state.Feed(b, out _)).ToArray();
                Assert.NotEmpty(allowed);
                // Prefer structure so walks end: closers and short values when allowed.
                var preferred = allowed.Where(b => "}]\"0UC".Contains((char)b)).ToArray();
                byte next = preferred.Length > 0 && rng.Next(3) > 0 ? preferred[rng.Next(preferred.Length)] : allowed[rng.Next(allowed.Length)];
                Assert.True(state.Feed(next, out state));
                text.Add(next);
            }

            if (!state.IsComplete)
            {
                continue;
            }

            finished++;
            using var doc = JsonDocument.Parse(text.ToArray());
            foreach (var call in doc.RootElement.EnumerateArray())
            {
                var parameters = call.GetProperty("parameters");
                if (call.GetProperty("name").GetString() == "get_time")
                {
                    Assert.Contains(parameters.GetProperty("zone").GetString(), new[] { "UTC", "CET" });
                }
                else
                {
                    Assert.Equal("get_weather", call.GetProperty("name").GetString());
                    Assert.Equal(JsonValueKind.String, parameters.GetProperty("city").ValueKind);
                }
            }
        }

        Assert.True(finished > 100, $"{finished} of 300 walks finished");
    }

    private static ToolCallsGrammar Tools(bool several) => new(
    [
        ("get_weather", JsonSchemaCompiler.Compile(JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string","maxLength":10},"days":{"type":"integer"}},"required":["city"]}""").RootElement)),
        ("get_time", JsonSchemaCompiler.Compile(JsonDocument.Parse("""{"type":"object","properties":{"zone":{"enum":["UTC","CET"]}},"required":["zone"]}""").RootElement)),
    ], several);
}
