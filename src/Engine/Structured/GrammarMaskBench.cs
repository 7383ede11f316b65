using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Structured;

/// <summary>
/// What a structured output's token masks cost: every grammar state one JSON-schema document passes through, its
/// mask computed over a byte-level vocabulary (the model's tokens plus <c>randomPieces</c> random 2-8 byte pieces of
/// JSON-like text, to stand for a larger vocabulary), then looked up again from the cache. A tool for the <c>bench</c>
/// command, not a test. A first pass over a vocabulary of its own warms the JIT up, so neither figure counts
/// compilation.
/// </summary>
public static class GrammarMaskBench
{
    private const string Schema =
        """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["name","age"]}""";

    private static ReadOnlySpan<byte> Document => """{"name": "Ann Lee", "age": 42, "tags": ["a", "bc"]}"""u8;

    /// <summary>
    /// JSON in GBNF (llama.cpp's json.gbnf in shape: an object at the root, whitespace after each value), for
    /// <c>--format gbnf</c>: the same document's states under a grammar run by stacks rather than the JSON automaton.
    /// </summary>
    public const string JsonGbnf = """
        root   ::= object
        value  ::= object | array | string | number | ("true" | "false" | "null") ws
        object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws
        array  ::= "[" ws ( value ("," ws value)* )? "]" ws
        string ::= "\"" ( [^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}) )* "\"" ws
        number ::= "-"? ("0" | [1-9] [0-9]*) ("." [0-9]+)? ([eE] [-+]? [0-9]+)? ws
        # whitespace, at most one run
        ws ::= | [ \t\n] ws
        """;

    /// <param name="format">`json-schema` (the JSON automaton with a schema), `json-object` (the same automaton, any object: JSON mode) or `gbnf` (<see cref="JsonGbnf"/>: any object too).</param>
    public static GrammarMaskBenchResult Run(MambaTokenizer tokenizer, int randomPieces, string format = "json-schema")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(randomPieces);
        return format switch
        {
            "json-schema" => Run(tokenizer, randomPieces, () => JsonSchemaState.Start(JsonSchemaCompiler.Compile(JsonDocument.Parse(Schema).RootElement))),
            "json-object" => Run(tokenizer, randomPieces, JsonSchemaState.StartObject),
            "gbnf" => Run(tokenizer, randomPieces, () => GbnfGrammarState.Start(GbnfParser.Parse(JsonGbnf))),
            _ => throw new ArgumentException($"format must be `json-schema`, `json-object` or `gbnf`, got `{format}`.", nameof(format)),
        };
    }

    /// <param name="start">A fresh grammar each call: the warm-up's must not leave the timed run its caches (a GBNF grammar remembers its steps).</param>
    private static GrammarMaskBenchResult Run<TState>(MambaTokenizer tokenizer, int randomPieces, Func<TState> start)
        where TState : struct, IGrammarState<TState>, IEquatable<TState>
    {
        var pieces = Pieces(tokenizer, randomPieces);
        MasksOf(new StructuredVocabulary(pieces, tokenizer.EosTokenId), DocumentStates(start())); // warm-up
        var states = DocumentStates(start());
        var clock = Stopwatch.StartNew();
        var vocabulary = new StructuredVocabulary(pieces, tokenizer.EosTokenId);
        var built = clock.Elapsed;
        var computed = MasksOf(vocabulary, states);
        var cached = MasksOf(vocabulary, states);
        int distinct = states.Distinct().Count();
        return new GrammarMaskBenchResult(pieces.Length, states.Count, distinct, built, computed / distinct, cached / states.Count);
    }

    private static byte[]?[] Pieces(MambaTokenizer tokenizer, int randomPieces)
    {
        var rng = new Random(1);
        const string alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789{}[]\":,.-_\n";
        var random = Enumerable.Range(0, randomPieces).Select(_ => (byte[]?)Encoding.UTF8.GetBytes(
            new string(Enumerable.Range(0, rng.Next(2, 9)).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray())));
        var model = StructuredVocabulary.For(tokenizer); // the model's own pieces, special tokens and EOS null
        return [.. Enumerable.Range(0, model.Count).Select(model.Bytes).Concat(random)];
    }

    /// <summary>The state before each byte of <see cref="Document"/>, repeats included (a string's inside recurs).</summary>
    private static List<TState> DocumentStates<TState>(TState state)
        where TState : struct, IGrammarState<TState>, IEquatable<TState>
    {
        var states = new List<TState>();
        foreach (byte b in Document)
        {
            states.Add(state);
            if (!state.Feed(b, out state))
            {
                throw new InvalidOperationException("The bench's document does not follow its own grammar.");
            }
        }

        return states;
    }

    private static TimeSpan MasksOf<TState>(StructuredVocabulary vocabulary, List<TState> states)
        where TState : struct, IGrammarState<TState>, IEquatable<TState>
    {
        var clock = Stopwatch.StartNew();
        foreach (var state in states)
        {
            vocabulary.BannedAfter(state);
        }

        return clock.Elapsed;
    }
}
