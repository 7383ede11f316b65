using System.Text.Json;
using MambaServe.Engine.Tests.Loading;
using MambaServe.Engine.Tokenization;
using MambaServe.Engine.Tokenization.PreTokenization;

namespace MambaServe.Engine.Tests.Tokenization;

/// <summary>
/// tokenizer.json pre-tokenizers as HF tokenizers splits text: the split behaviours (its documentation's
/// "the-final--countdown" example) and Falcon's sequence (FalconMamba's tokenizer), whose punctuation, digit-run and
/// three-digit splits GPT-2's regex alone does not make.
/// </summary>
public sealed class PreTokenizerStepsTests
{
    private const string Falcon = """
        {"type": "Sequence", "pretokenizers": [
          {"type": "Punctuation", "behavior": "Contiguous"},
          {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
          {"type": "Digits", "individual_digits": false},
          {"type": "Split", "pattern": {"Regex": "[0-9][0-9][0-9]"}, "behavior": "Isolated", "invert": false}]}
        """;

    [Theory]
    [InlineData("Removed", "the|final|countdown")]
    [InlineData("Isolated", "the|-|final|-|-|countdown")]
    [InlineData("MergedWithPrevious", "the-|final-|-|countdown")]
    [InlineData("MergedWithNext", "the|-final|-|-countdown")]
    [InlineData("Contiguous", "the|-|final|--|countdown")]
    public void Split_EachBehavior_CutsAsHfTokenizersDocuments(string behavior, string expected)
    {
        var json = $$"""{"type": "Split", "pattern": {"String": "-"}, "behavior": "{{behavior}}", "invert": false}""";

        Assert.Equal(expected, Pieces(json, "the-final--countdown"));
    }

    [Fact]
    public void Split_Inverted_KeepsWhatThePatternMatches()
    {
        var json = """{"type": "Split", "pattern": {"Regex": "[a-z]+"}, "behavior": "Removed", "invert": true}""";

        Assert.Equal("the|final|countdown", Pieces(json, "the-final--countdown"));
    }

    // Pieces after Falcon's ByteLevel step are byte-level characters, as HF hands them on: "Ġ" is a space.
    [Theory]
    [InlineData("Hello world", "Hello|Ġworld")]
    [InlineData("hello, world!! ...ok", "hello|,|Ġworld|!!|Ġ|...|ok")]
    [InlineData("price: 12,345.67", "price|:|Ġ|12|,|345|.|67")]
    [InlineData("abc 1234567", "abc|Ġ|123|456|7")]
    [InlineData("a  12", "a|Ġ|Ġ|12")]
    [InlineData("Don't stop at 3.14159265!", "Don|'|t|Ġstop|Ġat|Ġ|3|.|141|592|65|!")]
    public void FalconSequence_Text_CutAtPunctuationAndDigitGroups(string text, string expected) =>
        Assert.Equal(expected, Pieces(Falcon, text));

    [Fact]
    public void FalconSequence_CyrillicWord_DigitsStepCutsBetweenTheBytesOfACharacterAsTransformersDoes()
    {
        // "мир" is D0 BC D0 B8 D1 80: byte BC maps to '¼', a numeric character, which Falcon's Digits step (after
        // ByteLevel) cuts out of the word; 0x80 maps to 'Ģ'.
        Assert.Equal("Ð|¼|Ð¸ÑĢ|Ġ|999", Pieces(Falcon, "мир 999"));
    }

    [Fact]
    public void ByteLevelWithoutRegex_LeavesThePieceWholeAndMapsIt() =>
        Assert.Equal("aĠbĠĠc", Pieces("""{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}""", "a b  c"));

    [Theory]
    [InlineData("""{"type": "Metaspace", "replacement": "▁"}""", "Metaspace")]
    [InlineData("""{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}""", "add_prefix_space")]
    [InlineData("""{"type": "Split", "pattern": {"Regex": "x"}, "behavior": "Sideways", "invert": false}""", "Sideways")]
    [InlineData("""{"type": "Sequence", "pretokenizers": [{"type": "Digits"}, {"type": "Whitespace"}]}""", "Whitespace")]
    [InlineData("""{"type": "Sequence", "pretokenizers": [{"type": "ByteLevel", "use_regex": true}, {"type": "ByteLevel", "use_regex": false}]}""", "second ByteLevel")]
    public void Parse_UnsupportedPreTokenizer_RefusedNamingIt(string json, string named)
    {
        using var doc = JsonDocument.Parse(json);

        var ex = Assert.Throws<NotSupportedException>(() => PreTokenizerSteps.Parse(doc.RootElement));

        Assert.Contains(named, ex.Message);
    }

    [Fact]
    public void StepsPreTokenizer_AddedTokens_StayWholeWithTheirIdsAndTheTextAroundThemIsCut()
    {
        using var doc = JsonDocument.Parse(Falcon);
        var pre = new StepsPreTokenizer(PreTokenizerSteps.Parse(doc.RootElement), new Dictionary<string, int> { [">>TITLE<<"] = 1, ["<|endoftext|>"] = 11 }, nfc: false);

        var pieces = pre.Pieces(">>TITLE<<Year 2024!<|endoftext|>").ToList();

        Assert.Equal(">>TITLE<<|Year|Ġ|202|4|!|<|endoftext|>", string.Join("|", pieces.Select(p => p.Piece)));
        Assert.Equal([1, null, null, null, null, null, 11], pieces.Select(p => p.AddedId));
    }

    [Fact]
    public void StepsPreTokenizer_Nfc_NormalisesBeforeCutting()
    {
        using var doc = JsonDocument.Parse("""{"type": "Split", "pattern": {"String": "é"}, "behavior": "Isolated", "invert": false}""");
        var pre = new StepsPreTokenizer(PreTokenizerSteps.Parse(doc.RootElement), new Dictionary<string, int>(), nfc: true);

        Assert.Equal("caf|é", string.Join("|", pre.Pieces("cafe\u0301").Select(p => p.Piece)));
    }

    [Fact]
    public void Encode_FalconTokenizerJson_DigitRunsInGroupsOfThree_WhereGpt2sRegexKeepsTheSpace()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("tokenizer.json"), TokenizerJson(Falcon));
        using var plain = new TempDirectory();
        File.WriteAllText(plain.File("tokenizer.json"), TokenizerJson("""{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}"""));

        // Falcon: "x", " ", "123", "4". GPT-2's regex: "x", " 1234", whose merges make "Ġ123".
        Assert.Equal([6, 5, 8, 4], MambaTokenizer.TryLoad(dir.Path)!.Encode("x 1234"));
        Assert.Equal([6, 12, 4], MambaTokenizer.TryLoad(plain.Path)!.Encode("x 1234"));
        Assert.Equal("x 1234", MambaTokenizer.TryLoad(dir.Path)!.Decode([6, 5, 8, 4]));
    }

    private static string TokenizerJson(string preTokenizer) => $$"""
        {
          "added_tokens": [{ "id": 0, "content": "<|endoftext|>", "special": true }],
          "pre_tokenizer": {{preTokenizer}},
          "model": {
            "type": "BPE",
            "vocab": { "<|endoftext|>": 0, "1": 1, "2": 2, "3": 3, "4": 4, "Ġ": 5, "x": 6, "12": 7, "123": 8, "Ġ1": 9, "Ġ12": 10, "34": 11, "Ġ123": 12 },
            "merges": [ "Ġ 1", "Ġ1 2", "1 2", "12 3", "Ġ12 3" ]
          }
        }
        """;

    private static string Pieces(string json, string text)
    {
        using var doc = JsonDocument.Parse(json);
        var pre = new StepsPreTokenizer(PreTokenizerSteps.Parse(doc.RootElement), new Dictionary<string, int>(), nfc: false);
        return string.Join("|", pre.Pieces(text).Select(p => p.Piece));
    }
}
