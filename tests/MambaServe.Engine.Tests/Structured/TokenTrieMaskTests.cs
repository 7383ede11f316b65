using System.Text;
using System.Text.Json;
using MambaServe.Engine.Structured;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Tests.Structured;

/// <summary>
/// Masks from the prefix-tree walk (<see cref="StructuredVocabulary.BannedAfter{TState}"/>) against the obvious rule,
/// each token's bytes fed to the state on their own: the same banned set for every state that JSON-schema, regex and
/// choice documents pass through, over the demo's 8k tokens plus pieces that stress the tree (an empty token, the
/// same bytes under two ids, tokens past the tree's 255-byte depth, prefixes of each other).
/// </summary>
public sealed class TokenTrieMaskTests
{
    private static readonly MambaTokenizer s_tokenizer = MambaTokenizer.TryLoad(Infrastructure.TestPaths.DemoModel)!;

    [Fact]
    public void BannedAfter_JsonSchemaStates_EqualsFeedingEachToken()
    {
        var schema = JsonSchemaCompiler.Compile(JsonDocument.Parse(
            """{"type":"object","properties":{"name":{"type":"string","maxLength":300},"n":{"type":"integer","minimum":-5,"maximum":900},"tags":{"type":"array","items":{"enum":["a","bc","b"]}},"ok":{"type":"boolean"}},"required":["name","n","tags","ok"]}""").RootElement);
        var document = $$"""{"name": "{{new string(' ', 280)}}x\u00e9", "n": -3, "tags": ["bc", "a"], "ok": true}""";

        AssertEveryStateMatches(JsonSchemaState.Start(schema), document);
    }

    [Fact]
    public void BannedAfter_RegexStates_EqualsFeedingEachToken()
    {
        var program = StructuredOutputs.CompileRegex("(ab|a)+ [0-9]{2,4}( {270}z)?");

        AssertEveryStateMatches(RegexGrammarState.Start(program), $"abaab 123{new string(' ', 270)}z");
    }

    [Fact]
    public void BannedAfter_ChoiceStates_EqualsFeedingEachToken()
    {
        var table = new ChoiceTable(["yes", "no", "yesterday", new string('a', 300)]);

        AssertEveryStateMatches(ChoiceGrammarState.Start(table), "yesterday");
        AssertEveryStateMatches(ChoiceGrammarState.Start(table), new string('a', 300));
    }

    private static void AssertEveryStateMatches<TState>(TState start, string document)
        where TState : struct, IGrammarState<TState>, IEquatable<TState>
    {
        var tokens = Pieces();
        int eos = s_tokenizer.EosTokenId!.Value;
        var vocab = new StructuredVocabulary(tokens, eos);
        var state = start;
        foreach (byte b in Encoding.UTF8.GetBytes(document).Append((byte)0))
        {
            var expected = Enumerable.Range(0, tokens.Length).Where(id => id == eos
                ? !state.IsComplete
                : tokens[id] is not { } bytes || !state.Feed(bytes, out _)).ToArray();

            var banned = vocab.BannedAfter(state).ToArray();

            Assert.Equal(expected, banned);
            if (b == 0)
            {
                Assert.True(state.IsComplete);
                break;
            }

            Assert.True(state.Feed(b, out state));
        }
    }

    /// <summary>The demo's tokens (EOS and special tokens null) and pieces whose shapes the tree handles apart.</summary>
    private static byte[]?[] Pieces()
    {
        var model = StructuredVocabulary.For(s_tokenizer);
        var extra = new List<byte[]?>
        {
            Array.Empty<byte>(),
            "yes"u8.ToArray(), // the same bytes as another id
            "\"}"u8.ToArray(),
            Encoding.UTF8.GetBytes(new string(' ', 255)),
            Encoding.UTF8.GetBytes(new string(' ', 256)),
            Encoding.UTF8.GetBytes(new string(' ', 280) + "x"),
            Encoding.UTF8.GetBytes(new string(' ', 280) + "\"x"),
            Encoding.UTF8.GetBytes(new string(' ', 270) + "z"),
            Encoding.UTF8.GetBytes(new string('a', 300)),
            Encoding.UTF8.GetBytes(new string('a', 299)),
            Encoding.UTF8.GetBytes(new string('a', 301)),
            null,
        };
        var rng = new Random(5);
        const string alphabet = "abz yes0123456789{}[]\":,-\\\u00e9";
        for (int i = 0; i < 2000; i++)
        {
            extra.Add(Encoding.UTF8.GetBytes(new string(Enumerable.Range(0, rng.Next(1, 7)).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray())));
        }

        return [.. Enumerable.Range(0, model.Count).Select(model.Bytes), .. extra];
    }
}
