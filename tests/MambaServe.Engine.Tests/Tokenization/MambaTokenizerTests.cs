using System.Text;
using MambaServe.Engine.Tests.Infrastructure;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Tests.Tokenization;

public sealed class MambaTokenizerTests
{
    private static readonly MambaTokenizer Demo = MambaTokenizer.TryLoad(TestPaths.DemoModel)!;

    [Fact]
    public void Encode_DemoReferenceSentence_MatchesHfIds()
    {
        var ids = Demo.Encode("Hello world, Turing test.");

        Assert.Equal([41, 605, 80, 893, 13, 320, 916, 1520, 15], ids);
        Assert.Equal("Hello world, Turing test.", Demo.Decode(ids));
    }

    [Theory]
    [InlineData("caf\u00e9 na\u00efve r\u00e9sum\u00e9")]
    [InlineData("emoji 😀👍🏽 and 🇫🇷 flags")]
    [InlineData("中文字符和日本語のテキスト")]
    [InlineData("line one\nline two\r\n\n\ttabbed")]
    [InlineData("many     spaces   between    words  ")]
    [InlineData("  leading and trailing\n\n")]
    [InlineData("mixed: x² ≠ ∑ — «quotes» 'it's' 123,456.78")]
    public void Decode_EncodedUnicodeText_RoundTrips(string text)
    {
        var ids = Demo.Encode(text);

        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.InRange(id, 0, Demo.VocabCount - 1));
        Assert.Equal(text, Demo.Decode(ids));
    }

    [Fact]
    public void Encode_EmptyText_NoTokens()
    {
        Assert.Empty(Demo.Encode(string.Empty));
        Assert.Equal(string.Empty, Demo.Decode([]));
    }

    [Fact]
    public void Encode_DecomposedAccent_EncodesAsComposedNfc()
    {
        var composed = "caf\u00e9 cr\u00e8me";
        var decomposed = "cafe\u0301 cre\u0300me";

        Assert.Equal(Demo.Encode(composed), Demo.Encode(decomposed));
        Assert.Equal(composed, Demo.Decode(Demo.Encode(decomposed)));
    }

    [Fact]
    public void Encode_SpecialTokenText_EncodesToItsId()
    {
        var ids = Demo.Encode("Hello<|endoftext|> world<|padding|>");

        Assert.Contains(0, ids);
        Assert.Equal(1, ids[^1]);
        Assert.Equal(Demo.Encode("Hello").Concat([0]).Concat(Demo.Encode(" world")).Concat([1]), ids);
    }

    [Fact]
    public void Decode_SkipSpecialTokens_DropsSpecialText()
    {
        var ids = Demo.Encode("a<|endoftext|>b");

        Assert.Equal("a<|endoftext|>b", Demo.Decode(ids));
        Assert.Equal("ab", Demo.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Properties_DemoModel_ReadFromConfig()
    {
        Assert.Equal(8192, Demo.VocabCount);
        Assert.Equal(0, Demo.EosTokenId);
        Assert.Null(Demo.ChatTemplate);
    }

    [Fact]
    public void TokenText_SingleId_EqualsDecodeOfThatId()
    {
        var ids = Demo.Encode(" Hello, world");

        Assert.Equal(" Hello, world", string.Concat(ids.Select(Demo.TokenText)));
        Assert.All(ids, id => Assert.Equal(Demo.Decode([id]), Demo.TokenText(id)));
    }

    [Fact]
    public void TryLoad_FolderWithoutTokenizer_ReturnsNull()
    {
        Assert.Null(MambaTokenizer.TryLoad(TestPaths.Fixture("tiny-a")));
    }

    [Fact]
    public void Decode_IdOutsideVocab_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Demo.Decode([Demo.VocabCount]));
    }

    [Fact]
    public void Encode_RandomUnicodeText_RoundTrips()
    {
        var random = new Random(Environment.TickCount);
        for (var trial = 0; trial < 50; trial++)
        {
            var text = RandomText(random, random.Next(1, 40));

            Assert.Equal(text, Demo.Decode(Demo.Encode(text)));
        }
    }

    // Already-NFC text from several scripts (ASCII, Latin-1, CJK, emoji), so round trip must be exact.
    internal static string RandomText(Random random, int length)
    {
        string[] pieces = ["a", "Z", " ", "  ", "\n", "\t", "7", ",", "é", "ß", "中", "語", "😀", "🎉", "ж", "'s", "<|endoftext|>"];
        var sb = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            sb.Append(pieces[random.Next(pieces.Length)]);
        }
        return sb.ToString();
    }
}
