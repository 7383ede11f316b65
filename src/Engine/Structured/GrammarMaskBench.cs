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

    public static GrammarMaskBenchResult Run(MambaTokenizer tokenizer, int randomPieces)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(randomPieces);
        var pieces = Pieces(tokenizer, randomPieces);
        var states = DocumentStates();
        MasksOf(new StructuredVocabulary(pieces, tokenizer.EosTokenId), states); // warm-up
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
    private static List<JsonSchemaState> DocumentStates()
    {
        var states = new List<JsonSchemaState>();
        var state = JsonSchemaState.Start(JsonSchemaCompiler.Compile(JsonDocument.Parse(Schema).RootElement));
        foreach (byte b in Document)
        {
            states.Add(state);
            state.Feed(b, out state);
        }

        return states;
    }

    private static TimeSpan MasksOf(StructuredVocabulary vocabulary, List<JsonSchemaState> states)
    {
        var clock = Stopwatch.StartNew();
        foreach (var state in states)
        {
            vocabulary.BannedAfter(state);
        }

        return clock.Elapsed;
    }
}
