using System.Text;
using MambaServe.Engine.Structured;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Tests.Structured;

/// <summary>Token masks over the demo model's real 8k vocabulary (byte-level BPE).</summary>
public sealed class StructuredVocabularyTests
{
    private static readonly MambaTokenizer s_tokenizer = MambaTokenizer.TryLoad(Infrastructure.TestPaths.DemoModel)!;

    [Fact]
    public void BannedAfter_JsonStart_AllowsOnlyTokensThatOpenTheObject()
    {
        var vocab = StructuredVocabulary.For(s_tokenizer);

        var banned = vocab.BannedAfter(JsonSchemaState.StartObject()).ToHashSet();

        var allowed = Enumerable.Range(0, vocab.Count).Where(id => !banned.Contains(id)).ToList();
        Assert.NotEmpty(allowed);
        Assert.Contains(s_tokenizer.Encode("{")[0], allowed);
        Assert.All(allowed, id => Assert.Matches(@"^\s*(\{.*)?$", s_tokenizer.TokenText(id)));
        Assert.Contains(s_tokenizer.EosTokenId!.Value, banned);
        Assert.Contains(s_tokenizer.Encode("The")[0], banned);
    }

    [Fact]
    public void BannedAfter_CompleteDocument_AllowsOnlyEos()
    {
        var vocab = StructuredVocabulary.For(s_tokenizer);
        Assert.True(JsonSchemaState.StartObject().Feed("{\"a\": [1, 2]}"u8, out var complete));

        var banned = vocab.BannedAfter(complete);

        Assert.Equal(vocab.Count - 1, banned.Count);
        Assert.False(banned.Bans(s_tokenizer.EosTokenId!.Value));
        Assert.DoesNotContain(s_tokenizer.EosTokenId!.Value, banned);
    }

    [Fact]
    public void BannedAfter_SameStateTwice_ReturnsTheCachedMask()
    {
        var vocab = StructuredVocabulary.For(s_tokenizer);
        Assert.True(JsonSchemaState.StartObject().Feed("{\"x\": \"te"u8, out var inString));

        Assert.Same(vocab.BannedAfter(inString), vocab.BannedAfter(inString));
    }

    [Fact]
    public void BannedAfter_PastTheCacheBudget_EmptiesTheCacheAndStaysWithinIt()
    {
        byte[]?[] pieces = [.. "{}\":, ab1".Select(c => new[] { (byte)c }), []];
        var vocab = new StructuredVocabulary(pieces, eos: pieces.Length - 1, maxCachedWords: 4);
        var states = new List<JsonSchemaState> { JsonSchemaState.StartObject() };
        foreach (byte b in "{\"ab\": 1, \"b\": 11}"u8)
        {
            Assert.True(states[^1].Feed(b, out var next));
            states.Add(next);
        }

        foreach (var state in states)
        {
            var banned = vocab.BannedAfter(state);
            Assert.True(vocab.CachedWords <= 4);
            Assert.Equal(banned, vocab.BannedAfter(state)); // cached or computed again: the same mask
        }

        Assert.True(vocab.Clears > 0);
    }

    [Fact]
    public void Compile_TheSameFormatTwice_SharesTheCompiledGrammar_AFailureIsNotKept()
    {
        var schema = System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"string"}}}""").RootElement;
        var spaced = System.Text.Json.JsonDocument.Parse("""{ "type": "object", "properties": { "a": { "type": "string" } } }""").RootElement;

        Assert.Same(StructuredOutputs.CompileSchema(schema), StructuredOutputs.CompileSchema(spaced));
        Assert.Same(StructuredOutputs.CompileRegex("[a-z]+7"), StructuredOutputs.CompileRegex("[a-z]+7"));
        Assert.Throws<RegexNotSupportedException>(() => StructuredOutputs.CompileRegex("(?=x)"));
        Assert.Throws<RegexNotSupportedException>(() => StructuredOutputs.CompileRegex("(?=x)"));

        var number = StructuredOutputs.CompileSchema(System.Text.Json.JsonDocument.Parse("""{"type":"integer"}""").RootElement);
        StructuralTagGrammar Tag(string trigger) => new([("<n>", number, "</n>")], [trigger]);
        Assert.Same(StructuredOutputs.CompileStructuralTag("tag-a", () => Tag("<")), StructuredOutputs.CompileStructuralTag("tag-a", () => Tag("<")));
        Assert.Throws<GrammarNotSupportedException>(() => StructuredOutputs.CompileStructuralTag("tag-b", () => Tag("[")));
        Assert.NotNull(StructuredOutputs.CompileStructuralTag("tag-b", () => Tag("<")));
        ToolCallsGrammar Calls() => new([("f", number)]);
        Assert.Same(StructuredOutputs.CompileToolCalls("calls-a", Calls), StructuredOutputs.CompileToolCalls("calls-a", Calls));
    }

    [Fact]
    public void RandomWalks_OfAllowedTokens_AreAlwaysValidJsonPrefixes_AndEndOnlyWhenComplete()
    {
        var vocab = StructuredVocabulary.For(s_tokenizer);
        var rng = new Random(7);
        int completed = 0;
        for (int walk = 0; walk < 30; walk++)
        {
            var constraint = StructuredOutputs.JsonObject(s_tokenizer).Create();
            var text = new List<int>();
            for (int step = 0; step < 200; step++)
            {
                var banned = constraint.Banned().ToHashSet();
                // Prefer structural tokens so that walks finish: closers and EOS when allowed.
                var allowed = Enumerable.Range(0, vocab.Count).Where(id => !banned.Contains(id)).ToList();
                int token = allowed.FirstOrDefault(id => id == s_tokenizer.EosTokenId, -1);
                if (token < 0)
                {
                    var closers = allowed.Where(id => s_tokenizer.TokenText(id).Trim() is "}" or "]" or "\"" or "\"}" or "0").ToList();
                    token = closers.Count > 0 && rng.Next(3) > 0 ? closers[rng.Next(closers.Count)] : allowed[rng.Next(allowed.Count)];
                }

                constraint.Advance(token);
                if (token == s_tokenizer.EosTokenId)
                {
                    using var doc = System.Text.Json.JsonDocument.Parse(s_tokenizer.Decode(text));
                    Assert.Equal(System.Text.Json.JsonValueKind.Object, doc.RootElement.ValueKind);
                    completed++;
                    break;
                }

                text.Add(token);
                Assert.True(JsonSchemaState.StartObject().Feed(Encoding.UTF8.GetBytes(s_tokenizer.Decode(text)), out _), s_tokenizer.Decode(text));
            }
        }

        Assert.True(completed >= 10, $"{completed} of 30 walks completed");
    }

    [Fact]
    public void Advance_ATokenTheGrammarBans_Throws()
    {
        var constraint = StructuredOutputs.Choice(s_tokenizer, ["yes", "no"]).Create();

        var error = Assert.Throws<InvalidOperationException>(() => constraint.Advance(s_tokenizer.Encode("maybe")[0]));

        Assert.Contains("does not follow the requested output format", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Choice_AllowsExactlyTheTokensThatKeepAChoiceReachable()
    {
        var constraint = StructuredOutputs.Choice(s_tokenizer, [" yes", " no"]).Create();
        var banned = constraint.Banned().ToHashSet();

        foreach (var word in new[] { " yes", " no" })
        {
            Assert.DoesNotContain(s_tokenizer.Encode(word)[0], banned);
        }

        Assert.Contains(s_tokenizer.Encode(" maybe")[0], banned);
        Assert.Contains(s_tokenizer.EosTokenId!.Value, banned);
        foreach (int id in s_tokenizer.Encode(" yes"))
        {
            constraint.Advance(id);
        }

        Assert.Equal(s_tokenizer.VocabCount - 1, constraint.Banned().Count);
        constraint.Advance(s_tokenizer.EosTokenId!.Value);
    }
}
