using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Tests.Tokenization;

/// <summary>
/// tokenizer_config.json as transformers reads it for chat: the special tokens, the chat_template in both of its
/// forms, a chat_template.jinja file beside it (which wins), and special tokens that only the vocab lists.
/// </summary>
public sealed class TokenizerConfigTests : IDisposable
{
    // "<s>" is a plain vocab entry here (not in added_tokens): BPE alone would split it into "<", "s", ">".
    private const string TokenizerJson = """
        {
          "added_tokens": [ { "id": 0, "content": "<|endoftext|>", "special": true } ],
          "model": {
            "type": "BPE",
            "vocab": { "<|endoftext|>": 0, "h": 1, "i": 2, "<": 3, "s": 4, ">": 5, "<s>": 6 },
            "merges": [ ]
          }
        }
        """;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mambaserve-tokcfg-" + Guid.NewGuid().ToString("N"));

    public TokenizerConfigTests()
    {
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "tokenizer.json"), TokenizerJson);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private MambaTokenizer Load(string configJson)
    {
        File.WriteAllText(Path.Combine(_folder, "tokenizer_config.json"), configJson);
        return MambaTokenizer.TryLoad(_folder)!;
    }

    [Fact]
    public void SpecialTokens_StringAndObjectForms_ReadByAttributeName()
    {
        var tokenizer = Load("""{ "bos_token": "<s>", "eos_token": { "content": "<|endoftext|>" }, "pad_token": null, "unk_token": "<s>" }""");

        Assert.Equal(new Dictionary<string, string> { ["bos_token"] = "<s>", ["eos_token"] = "<|endoftext|>", ["unk_token"] = "<s>" }, tokenizer.SpecialTokens);
        Assert.Equal(0, tokenizer.EosTokenId);
    }

    [Fact]
    public void Encode_ConfigSpecialTokenOnlyInVocab_MatchesAsOneToken()
    {
        var plain = Load("{}");
        var withBos = Load("""{ "bos_token": "<s>" }""");

        Assert.Equal([3, 4, 5, 1, 2], plain.Encode("<s>hi"));
        Assert.Equal([6, 1, 2], withBos.Encode("<s>hi"));
        Assert.Equal("hi", withBos.Decode([6, 1, 2], skipSpecialTokens: true));
    }

    [Fact]
    public void ChatTemplate_ListForm_UsesTheTemplateNamedDefault()
    {
        var tokenizer = Load("""{ "chat_template": [ { "name": "tool_use", "template": "T" }, { "name": "default", "template": "D" } ] }""");

        Assert.Equal("D", tokenizer.ChatTemplate);
    }

    [Fact]
    public void ChatTemplate_ListWithoutDefault_FailsNamingTheTemplates()
    {
        var error = Assert.Throws<InvalidDataException>(() => Load("""{ "chat_template": [ { "name": "rag", "template": "R" } ] }"""));

        Assert.Contains("chat_template lists templates (rag) but none named \"default\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChatTemplate_JinjaFileBesideTheConfig_TakesPriority()
    {
        var source = $"{{{{ messages }}}} {Random.Shared.Next()}\n";
        File.WriteAllText(Path.Combine(_folder, "chat_template.jinja"), source);

        var tokenizer = Load("""{ "chat_template": "from the config" }""");

        Assert.Equal(source, tokenizer.ChatTemplate);
    }

    [Fact]
    public void ChatTemplate_Absent_IsNull()
    {
        Assert.Null(Load("""{ "eos_token": "<|endoftext|>" }""").ChatTemplate);
    }
}
