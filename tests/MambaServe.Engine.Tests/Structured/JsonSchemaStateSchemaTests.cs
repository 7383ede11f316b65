using System.Text;
using System.Text.Json;
using Json.Schema;
using MambaServe.Engine.Structured;

namespace MambaServe.Engine.Tests.Structured;

/// <summary>
/// The schema grammar: hand-picked documents, the keywords it refuses, and random walks over allowed tokens whose
/// every finished document an independent validator (JsonSchema.Net) accepts.
/// </summary>
public sealed class JsonSchemaStateSchemaTests
{
    private const string Person = """
        {"type":"object","properties":{
          "name":{"type":"string"},
          "age":{"type":"integer"},
          "email":{"anyOf":[{"type":"string"},{"type":"null"}],"description":"optional"},
          "role":{"enum":["admin","user",3,null]},
          "tags":{"type":"array","items":{"type":"string"}},
          "score":{"type":"number"},
          "active":{"type":"boolean"}},
         "required":["name","age","role"],"additionalProperties":false}
        """;

    private const string Tree = """
        {"$defs":{"node":{"type":"object","properties":{"label":{"const":"n"},"children":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["label"]}},
         "$ref":"#/$defs/node"}
        """;

    private const string Mixed = """
        {"type":"object","properties":{
          "id":{"type":["integer","null"]},
          "point":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"]},
          "extra":{},
          "list":{"type":"array"},
          "kind":{"oneOf":[{"type":"object","properties":{"k":{"type":"boolean"}}},{"type":"string"}]}},
         "required":["point","kind"]}
        """;

    [Theory]
    [InlineData("""{"name":"Ann","age":31,"role":"admin"}""")]
    [InlineData("""{ "name" : "Ann" , "age" : -7 , "email" : null , "role" : 3 , "tags" : [ "a" , "b" ] , "score" : 1.5e3 , "active" : true }""")]
    [InlineData("""{"name":"","age":0,"email":"a@b","role":null,"tags":[]}""")]
    public void Feed_DocumentOfThePersonSchema_Accepted(string json)
    {
        Assert.True(Start(Person).Feed(Encoding.UTF8.GetBytes(json), out var end), json);
        Assert.True(end.IsComplete);
    }

    [Theory]
    [InlineData("""{"age":31,"name":"Ann","role":"user"}""", "properties in the schema's order")]
    [InlineData("""{"name":"Ann","role":"user"}""", "a required property left out")]
    [InlineData("""{"name":"Ann","age":3.5,"role":"user"}""", "a fraction for an integer")]
    [InlineData("""{"name":"Ann","age":1e2,"role":"user"}""", "an exponent for an integer")]
    [InlineData("""{"name":1,"age":1,"role":"user"}""", "a number for a string")]
    [InlineData("""{"name":"Ann","age":1,"role":"guest"}""", "a value outside the enum")]
    [InlineData("""{"name":"Ann","age":1,"role":"user","nick":"x"}""", "an undeclared property")]
    [InlineData("""{"name":"Ann","age":1,"role":"user","tags":[1]}""", "a number in a string array")]
    [InlineData("""{"name":"Ann","age":1,"role":33}""", "33 is not the enum's 3")]
    [InlineData("""{"name":"Ann","age":1,"role":"user",}""", "a trailing comma")]
    public void Feed_DocumentOutsideThePersonSchema_Refused(string json, string why)
    {
        bool fed = Start(Person).Feed(Encoding.UTF8.GetBytes(json), out var end);

        Assert.False(fed && end.IsComplete, why);
    }

    [Fact]
    public void Feed_RecursiveTree_AcceptedAtAnyDepthWithinTheLimit()
    {
        var tree = """{"label":"n","children":[{"label":"n"},{"label":"n","children":[{"label":"n","children":[]}]}]}""";

        Assert.True(Start(Tree).Feed(Encoding.UTF8.GetBytes(tree), out var end));
        Assert.True(end.IsComplete);
        Assert.False(Start(Tree).Feed("""{"label":"m"}"""u8, out _));
    }

    [Theory]
    [InlineData("""{"type":"string","pattern":"^[a-z]+@[a-z]+\\.com$"}""", "\"ab@cd.com\"", true)]
    [InlineData("""{"type":"string","pattern":"^[a-z]+@[a-z]+\\.com$"}""", "\"ab@cd.org\"", false)]
    [InlineData("""{"type":"string","pattern":"\\d"}""", "\"a1b\"", true)]
    [InlineData("""{"type":"string","pattern":"\\d"}""", "\"ab\"", false)]
    [InlineData("""{"type":"string","pattern":"^a\nb\"$"}""", "\"a\\nb\\\"\"", true)]
    [InlineData("""{"type":"string","pattern":"^ab$"}""", "\"\\u0061b\"", true)]
    [InlineData("""{"type":"string","pattern":"^ab$"}""", "\"\\u0062b\"", false)]
    [InlineData("""{"type":"string","format":"date"}""", "\"2024-02-29\"", true)]
    [InlineData("""{"type":"string","format":"date"}""", "\"2024-13-01\"", false)]
    [InlineData("""{"type":"string","format":"date-time"}""", "\"2024-02-29T23:59:00.5+01:00\"", true)]
    [InlineData("""{"type":"string","format":"uuid"}""", "\"123e4567-e89b-12d3-a456-426614174000\"", true)]
    [InlineData("""{"type":"string","format":"uuid"}""", "\"123e4567\"", false)]
    [InlineData("""{"type":"string","format":"email"}""", "\"not checked: an annotation\"", true)]
    [InlineData("""{"type":"string","minLength":2,"maxLength":3}""", "\"é漢\"", true)]
    [InlineData("""{"type":"string","minLength":2,"maxLength":3}""", "\"a\"", false)]
    [InlineData("""{"type":"string","minLength":2,"maxLength":3}""", "\"abcd\"", false)]
    public void Feed_StringRules_EnforcedOnTheDecodedCharacters(string schema, string json, bool valid)
    {
        bool fed = Start(schema).Feed(Encoding.UTF8.GetBytes(json), out var end);

        Assert.Equal(valid, fed && end.IsComplete);
    }

    [Theory]
    [InlineData("""{"anyOf":[{"enum":["a","b"]},{"type":"null"}]}""", "\"a\"", true)]
    [InlineData("""{"anyOf":[{"enum":["a","b"]},{"type":"null"}]}""", "null", true)]
    [InlineData("""{"anyOf":[{"enum":["a","b"]},{"type":"null"}]}""", "\"c\"", false)]
    [InlineData("""{"anyOf":[{"const":1},{"type":"string"}]}""", "1", true)]
    [InlineData("""{"anyOf":[{"const":1},{"type":"string"}]}""", "\"x\"", true)]
    [InlineData("""{"anyOf":[{"const":1},{"type":"string"}]}""", "2", false)]
    [InlineData("""{"enum":["x"],"nullable":true}""", "null", true)]
    [InlineData("""{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":2}""", "[]", false)]
    [InlineData("""{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":2}""", "[1]", true)]
    [InlineData("""{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":2}""", "[ 1 , 2 ]", true)]
    [InlineData("""{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":2}""", "[1,2,3]", false)]
    [InlineData("""{"type":"object","additionalProperties":{"type":"integer"}}""", "{\"a\": 1, \"b\": -2}", true)]
    [InlineData("""{"type":"object","additionalProperties":{"type":"integer"}}""", "{\"a\": \"x\"}", false)]
    [InlineData("""{"type":"object","additionalProperties":false}""", "{}", true)]
    [InlineData("""{"type":"object","additionalProperties":false}""", "{\"a\": 1}", false)]
    [InlineData("""{"type":"array","maxItems":0}""", "[]", true)]
    [InlineData("""{"type":"array","maxItems":0}""", "[1]", false)]
    [InlineData("""{"anyOf":[{"type":"array","items":{"type":"boolean"},"minItems":2},{"type":"null"}]}""", "[true]", false)]
    [InlineData("""{"anyOf":[{"type":"array","items":{"type":"boolean"},"minItems":2},{"type":"null"}]}""", "[true,false]", true)]
    public void Feed_OptionalEnumsAndItemCounts_Enforced(string schema, string json, bool valid)
    {
        bool fed = Start(schema).Feed(Encoding.UTF8.GetBytes(json), out var end);

        Assert.Equal(valid, fed && end.IsComplete);
    }

    [Theory]
    [InlineData("""{"type":"integer","minimum":1,"maximum":100}""", "1 42 100 10 99", "0 101 -5 1000 -0 1.5")]
    [InlineData("""{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10}""", "1 5 9", "0 10 -1 11")]
    [InlineData("""{"type":"integer","minimum":-20,"maximum":-5}""", "-5 -20 -12", "-4 -21 5 -0 0")]
    [InlineData("""{"type":"integer","minimum":0}""", "0 7 123456789012", "-1 -0.5")]
    [InlineData("""{"type":"integer","maximum":-1}""", "-1 -9999", "0 -0 1")]
    [InlineData("""{"type":"integer","minimum":1.5,"maximum":3.5}""", "2 3", "1 4")]
    public void Feed_BoundedIntegers_InsideTheBoundsOnly(string schema, string inside, string outside)
    {
        var start = Start(schema);
        foreach (var value in inside.Split(' '))
        {
            Assert.True(start.Feed(Encoding.ASCII.GetBytes(value), out var end) && end.IsComplete, $"{value} should fit");
            Assert.True(Start("""{"type":"array","items":""" + schema + "}").Feed(Encoding.ASCII.GetBytes($"[{value}]"), out var inArray) && inArray.IsComplete, $"[{value}]");
        }

        foreach (var value in outside.Split(' '))
        {
            Assert.False(start.Feed(Encoding.ASCII.GetBytes(value), out var end) && end.IsComplete, $"{value} should not fit");
            Assert.False(Start("""{"type":"array","items":""" + schema + "}").Feed(Encoding.ASCII.GetBytes($"[{value}]"), out var inArray) && inArray.IsComplete, $"[{value}]");
        }
    }

    [Fact]
    public void Feed_BoundedInteger_ADigitThatNoNumberInTheBoundsBeginsWithIsRefused()
    {
        var start = Start("""{"type":"integer","minimum":30,"maximum":45}""");

        Assert.False(start.Feed((byte)'5', out _));       // 5, 50.., none in 30..45
        Assert.True(start.Feed("4"u8, out var four));     // 40..45
        Assert.False(four.Feed((byte)'6', out _));        // 46
        Assert.False(four.IsComplete);                    // 4 alone is below 30
        Assert.False(start.Feed((byte)'-', out _));
    }

    [Fact]
    public void Feed_PatternString_AnEscapeThePatternCannotTakeIsRefusedAtItsFirstByte()
    {
        Assert.True(Start("""{"type":"string","pattern":"^[a-c]+$"}""").Feed("\"ab"u8, out var inString));

        Assert.False(inString.Feed("\\n"u8, out _));     // a newline: not in [a-c]
        Assert.False(inString.Feed("\\u01"u8, out _));   // U+0100..U+01FF: none in [a-c]
        Assert.True(inString.Feed("\\u006"u8, out _));   // U+0060..U+006F holds a, b and c
        Assert.True(inString.Feed("\""u8, out var closed) && closed.IsComplete);
    }

    [Theory]
    [InlineData("""{"type":"string","pattern":"(a"}""", "#", "its string rule")]
    [InlineData("""{"type":"string","pattern":"^a|b"}""", "#", "anchored on one side")]
    [InlineData("""{"type":"string","pattern":"a","maxLength":3}""", "#", "`pattern` beside")]
    [InlineData("""{"type":"string","maxLength":5000}""", "#", "its string rule")]
    [InlineData("""{"allOf":[{"type":"string"}]}""", "#", "`allOf`")]
    [InlineData("""{"anyOf":[{"type":"object"},{"type":"object","properties":{"a":{}}}]}""", "#", "different kinds of value")]
    [InlineData("""{"anyOf":[{"enum":["a"]},{"type":"string"}]}""", "#", "the value \"a\" begins as another")]
    [InlineData("""{"type":"array","minItems":3,"maxItems":2}""", "#", "below `minItems`")]
    [InlineData("""{"type":"array","minItems":-1}""", "#", "`minItems` must be a whole number")]
    [InlineData("""{"type":"number","minimum":0}""", "#", "whole numbers (`integer`) only")]
    [InlineData("""{"type":"integer","minimum":5,"maximum":4}""", "#", "no whole number")]
    [InlineData("""{"$ref":"https://example.com/s.json"}""", "#", "`$ref`")]
    [InlineData("""{"type":"object","properties":{"a":{}},"required":["b"]}""", "#", "`b`")]
    [InlineData("""{"type":"array","items":[{"type":"string"}]}""", "#", "tuples")]
    [InlineData("""false""", "#", "allows no value")]
    [InlineData("""{"type":"date"}""", "#", "unknown type")]
    public void Compile_KeywordTheGrammarCannotEnforce_RefusedNamingWhere(string schema, string path, string reason)
    {
        var error = Assert.Throws<SchemaNotSupportedException>(() => JsonSchemaCompiler.Compile(JsonDocument.Parse(schema).RootElement));

        Assert.Equal(path, error.Path);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_OverTheSizeLimits_Refused()
    {
        var properties = string.Join(",", Enumerable.Range(0, JsonSchemaCompiler.MaxNodes).Select(i => $"\"p{i}\":{{}}"));
        var values = string.Join(",", Enumerable.Range(0, JsonSchemaCompiler.MaxLiterals + 1));

        var tooManyParts = Assert.Throws<SchemaNotSupportedException>(() => JsonSchemaCompiler.Compile(JsonDocument.Parse($"{{\"properties\":{{{properties}}}}}").RootElement));
        var tooManyValues = Assert.Throws<SchemaNotSupportedException>(() => JsonSchemaCompiler.Compile(JsonDocument.Parse($"{{\"enum\":[{values}]}}").RootElement));

        Assert.Contains("more than 10000 parts", tooManyParts.Message, StringComparison.Ordinal);
        Assert.Contains("more than 10000 enum values", tooManyValues.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Feed_ManyOptionalProperties_KeysInOrderAnyMayBeLeftOut()
    {
        var properties = string.Join(",", Enumerable.Range(0, 1000).Select(i => $"\"p{i}\":{{\"type\":\"integer\"}}"));
        var start = Start($"{{\"type\":\"object\",\"properties\":{{{properties}}},\"required\":[\"p999\"]}}");

        Assert.True(start.Feed("""{"p3":1,"p500":2,"p999":3}"""u8, out var end));
        Assert.True(end.IsComplete);
        Assert.False(start.Feed("""{"p500":2,"p3":1"""u8, out _));
        Assert.True(start.Feed("""{"p998":0"""u8, out var beforeLast));
        Assert.False(beforeLast.Feed((byte)'}', out _)); // p999 is required
    }

    [Theory]
    [InlineData(Person)]
    [InlineData(Tree)]
    [InlineData(Mixed)]
    [InlineData("""{"type":"array","items":{"type":"string","pattern":"^[a-e]+[0-9]?$"}}""")]
    [InlineData("""{"type":"object","properties":{"s":{"type":"string","minLength":1,"maxLength":4},"t":{"type":"string","pattern":"x"}},"required":["s","t"]}""")]
    [InlineData("""{"type":"array","items":{"enum":[1,12,"x",true]}}""")]
    [InlineData("""{"type":"object","properties":{"l":{"type":"array","items":{"anyOf":[{"enum":["a","bc"]},{"type":"null"},{"type":"integer"}]},"minItems":2,"maxItems":3}},"required":["l"]}""")]
    [InlineData("""{"type":"object","additionalProperties":{"type":"array","items":{"type":"boolean"},"maxItems":2}}""")]
    [InlineData("""{"type":"array","items":{"type":"integer","minimum":-3,"maximum":120},"minItems":1}""")]
    [InlineData("""{"anyOf":[{"type":"integer"},{"type":"array","items":{"type":"boolean"}}]}""")]
    public void RandomWalks_OfAllowedTokens_FinishOnlyAsDocumentsTheValidatorAccepts(string schemaText)
    {
        var vocabulary = new StructuredVocabulary([.. s_pieces.Select(Encoding.UTF8.GetBytes)], Eos);
        var validator = JsonSchema.FromText(schemaText);
        var start = Start(schemaText);
        var rng = new Random(schemaText.Length);
        int finished = 0;
        for (int walk = 0; walk < 40; walk++)
        {
            var state = start;
            var text = new List<byte>();
            for (int step = 0; step < 400; step++)
            {
                var banned = vocabulary.BannedAfter(state).ToHashSet();
                var allowed = Enumerable.Range(0, s_pieces.Length).Where(id => !banned.Contains(id)).ToList();
                Assert.NotEmpty(allowed);
                if (allowed.Contains(Eos))
                {
                    Assert.True(state.IsComplete);
                    var doc = JsonDocument.Parse(text.ToArray()).RootElement;
                    var result = validator.Evaluate(doc);
                    Assert.True(result.IsValid, Encoding.UTF8.GetString(text.ToArray()));
                    finished++;
                    break;
                }

                // Closing pieces often, so that walks end.
                var closers = allowed.Where(id => s_closers.Contains(s_pieces[id])).ToList();
                int token = closers.Count > 0 && rng.Next(4) > 0 ? closers[rng.Next(closers.Count)] : allowed[rng.Next(allowed.Count)];
                Assert.True(state.Feed(Encoding.UTF8.GetBytes(s_pieces[token]), out state));
                text.AddRange(Encoding.UTF8.GetBytes(s_pieces[token]));
            }
        }

        Assert.True(finished >= 20, $"{finished} of 40 walks finished");
    }

    private const int Eos = 0;

    // Id 0 is EOS (no bytes); then every printable ASCII byte, and a few multi-byte pieces as BPE merges them.
    private static readonly string[] s_pieces =
    [
        "", .. Enumerable.Range(0x20, 0x5F).Select(c => ((char)c).ToString()),
        "true", "false", "null", "\":", "\", \"", "},", "}]", "\"}", "12", "é", "\"name\":", "\"label\":\"n\"",
    ];

    private static readonly HashSet<string> s_closers = ["\"", "}", "]", "0", "\"}", "}]", "\"label\":\"n\"", "\":", "true", "null", "n"];

    private static JsonSchemaState Start(string schema) => JsonSchemaState.Start(JsonSchemaCompiler.Compile(JsonDocument.Parse(schema).RootElement));
}
