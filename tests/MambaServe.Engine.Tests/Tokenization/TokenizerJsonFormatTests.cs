using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Tests.Tokenization;

/// <summary>
/// The GPT-NeoX tokenizer.json form of the public Mamba checkpoints: merges as "a b" strings, non-special added
/// tokens made of literal spaces, eos_token as an object in tokenizer_config.json.
/// </summary>
public sealed class TokenizerJsonFormatTests : IDisposable
{
    private const string TokenizerJson = """
        {
          "added_tokens": [
            { "id": 0, "content": "<|endoftext|>", "special": true, "normalized": false },
            { "id": 7, "content": "  ", "special": false, "normalized": true },
            { "id": 8, "content": "    ", "special": false, "normalized": true }
          ],
          "normalizer": { "type": "NFC" },
          "model": {
            "type": "BPE",
            "vocab": { "<|endoftext|>": 0, "h": 1, "i": 2, "Ġ": 3, "hi": 4, "Ġhi": 5, "!": 6 },
            "merges": [ "h i", "Ġ hi" ]
          }
        }
        """;

    private const string ConfigJson = """
        { "eos_token": { "content": "<|endoftext|>", "special": true }, "chat_template": "{{ messages }}" }
        """;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mambaserve-tok-" + Guid.NewGuid().ToString("N"));

    public TokenizerJsonFormatTests()
    {
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "tokenizer.json"), TokenizerJson);
        File.WriteAllText(Path.Combine(_folder, "tokenizer_config.json"), ConfigJson);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Encode_StringMerges_MergeLikeArrayForm()
    {
        var tokenizer = MambaTokenizer.TryLoad(_folder)!;

        Assert.Equal([4, 5, 6], tokenizer.Encode("hi hi!"));
        Assert.Equal("hi hi!", tokenizer.Decode([4, 5, 6]));
    }

    [Fact]
    public void Encode_OverlappingSpaceAddedTokens_LongestMatchWins()
    {
        var tokenizer = MambaTokenizer.TryLoad(_folder)!;

        Assert.Equal([4, 8, 4], tokenizer.Encode("hi    hi"));
        Assert.Equal([4, 7, 4], tokenizer.Encode("hi  hi"));
        Assert.Equal("hi    hi  hi", tokenizer.Decode([4, 8, 4, 7, 4]));
    }

    [Fact]
    public void Properties_ConfigWithObjectEosAndTemplate_Read()
    {
        var tokenizer = MambaTokenizer.TryLoad(_folder)!;

        Assert.Equal(0, tokenizer.EosTokenId);
        Assert.Equal("{{ messages }}", tokenizer.ChatTemplate);
        Assert.Equal(9, tokenizer.VocabCount);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("""{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}""", false)]
    [InlineData("""{"type":"Sequence","processors":[{"type":"ByteLevel"}]}""", false)]
    [InlineData("""{"type":"TemplateProcessing","single":[{"Sequence":{"id":"A","type_id":0}}],"pair":[],"special_tokens":{}}""", false)]
    [InlineData("""{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<|endoftext|>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],"pair":[],"special_tokens":{}}""", true)]
    [InlineData("""{"type":"Sequence","processors":[{"type":"ByteLevel"},{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<|endoftext|>","type_id":0}}]}]}""", true)]
    [InlineData("""{"type":"RobertaProcessing","sep":["</s>",2],"cls":["<s>",0]}""", true)]
    public void PostProcessorAddsTokens_ByPostProcessor_TellsWhetherSpecialTokensWouldBeAdded(string? processor, bool adds)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(TokenizerJson)!;
        json["post_processor"] = processor is null ? null : System.Text.Json.Nodes.JsonNode.Parse(processor);
        File.WriteAllText(Path.Combine(_folder, "tokenizer.json"), json.ToJsonString());

        var tokenizer = MambaTokenizer.TryLoad(_folder)!;

        Assert.Equal(adds, tokenizer.PostProcessorAddsTokens);
        // Encoding never adds them.
        Assert.Equal([4, 5, 6], tokenizer.Encode("hi hi!"));
    }
}
