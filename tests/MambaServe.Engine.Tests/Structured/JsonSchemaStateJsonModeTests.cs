using System.Text;
using System.Text.Json;
using MambaServe.Engine.Structured;

namespace MambaServe.Engine.Tests.Structured;

/// <summary>The JSON automaton in JSON mode (any object) against hand-picked documents and against System.Text.Json's parser on random ones.</summary>
public sealed class JsonSchemaStateJsonModeTests
{
    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"a":1}""")]
    [InlineData("""{ "a" : [ 1 , -0.5e+3 , 2E-7 , true , false , null , "x" ] , "b" : { } }""")]
    [InlineData("""{"esc":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00","utf8":"é漢😀"}""")]
    [InlineData("{\n  \"nested\": [[[{}]], []],\n  \"n\": 0\n}")]
    public void Feed_ValidObject_AcceptedAndCompleteOnlyAtTheEnd(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var state = JsonSchemaState.StartObject();
        for (int i = 0; i < bytes.Length; i++)
        {
            Assert.False(state.IsComplete, $"complete before byte {i}");
            Assert.True(state.Feed(bytes[i], out state), $"refused byte {i} ('{(char)bytes[i]}') of {json}");
        }

        Assert.True(state.IsComplete);
        Assert.False(state.Feed((byte)' ', out _)); // nothing follows a whole document: the output ends with EOS
    }

    [Theory]
    [InlineData("""{"a":01}""", 6)]
    [InlineData("""{"a" 1}""", 5)]
    [InlineData("""{,}""", 1)]
    [InlineData("""{"a":[1,]}""", 8)]
    [InlineData("""{"a":tru}""", 8)]
    [InlineData("""{"a":"\x"}""", 7)]
    [InlineData("""{"a":1}}""", 7)]
    [InlineData("""{"a":1.}""", 7)]
    [InlineData("""{"a":-}""", 6)]
    [InlineData("""{"a":"\u12G4"}""", 10)]
    [InlineData("""{a:1}""", 1)]
    [InlineData("""[1]""", 0)]
    [InlineData(""" "x" """, 1)]
    public void Feed_InvalidObject_RefusedAtTheFirstBadByte(string json, int bad)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var state = JsonSchemaState.StartObject();
        for (int i = 0; i < bad; i++)
        {
            Assert.True(state.Feed(bytes[i], out state), $"refused byte {i} early");
        }

        Assert.False(state.Feed(bytes[bad], out _));
    }

    [Fact]
    public void Feed_ControlCharacterOrBrokenUtf8InAString_Refused()
    {
        var start = JsonSchemaState.StartObject();
        Assert.True(start.Feed("{\"a\":\""u8, out var inString));

        Assert.False(inString.Feed(0x0A, out _));          // a raw newline
        Assert.False(inString.Feed(0x80, out _));          // a continuation byte without its lead
        Assert.True(inString.Feed(0xE6, out var lead));    // the lead of a three-byte character
        Assert.False(lead.Feed((byte)'"', out _));         // cannot close inside the character
        Assert.True(lead.Feed([0xBC, 0xA2], out var whole));
        Assert.True(whole.Feed((byte)'"', out _));
    }

    [Fact]
    public void Feed_AnyRootValue_NumbersCompleteWithoutAnEnd()
    {
        var start = JsonSchemaState.Start(SchemaNode.Any);

        Assert.True(start.Feed("12.5"u8, out var number));
        Assert.True(number.IsComplete);
        Assert.True(number.Feed((byte)'e', out var exponent));
        Assert.False(exponent.IsComplete);
        Assert.True(start.Feed("[true]"u8, out var array));
        Assert.True(array.IsComplete);
    }

    [Fact]
    public void Feed_PastTheLimits_Refused()
    {
        var state = JsonSchemaState.StartObject();
        Assert.True(state.Feed(Encoding.ASCII.GetBytes("{\"a\":" + new string('[', JsonSchemaState.MaxDepth - 1)), out var deep));
        Assert.False(deep.Feed((byte)'[', out _));
        Assert.True(deep.Feed((byte)'1', out _));

        Assert.True(state.Feed(Encoding.ASCII.GetBytes("{" + new string(' ', JsonSchemaState.MaxWhitespaceRun)), out var padded));
        Assert.False(padded.Feed((byte)'\n', out _));
        Assert.True(padded.Feed((byte)'}', out _));
    }

    [Fact]
    public void Feed_RandomDocumentsAndMutations_AgreesWithSystemTextJson()
    {
        var rng = new Random(20261204);
        int valid = 0, invalid = 0;
        for (int n = 0; n < 3000; n++)
        {
            var bytes = Encoding.UTF8.GetBytes(RandomJson.Object(rng, 0));
            if (n % 2 == 1)
            {
                RandomJson.Mutate(rng, bytes);
            }

            bool ours = JsonSchemaState.StartObject().Feed(bytes, out var end) && end.IsComplete;
            bool theirs = RandomJson.ParsesAsObject(bytes) && bytes[^1] is not ((byte)' ' or (byte)'\n');
            Assert.True(ours == theirs, $"{Encoding.UTF8.GetString(bytes)}: ours {ours}, System.Text.Json {theirs}");
            (theirs ? ref valid : ref invalid)++;
        }

        Assert.True(valid > 1500 && invalid > 500, $"{valid} valid, {invalid} invalid");
    }
}
