using System.Text;
using MambaServe.Engine.Tests.Infrastructure;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Tests.Tokenization;

public sealed class StreamingDetokenizerTests
{
    private static readonly MambaTokenizer Demo = MambaTokenizer.FromFile(Path.Combine(TestPaths.DemoModel, "tokenizer.json"));

    [Fact]
    public void Push_RandomTokenSequences_ConcatenationEqualsDecodeAndNoDeltaBreaksACharacter()
    {
        var random = new Random(Environment.TickCount);
        for (var trial = 0; trial < 200; trial++)
        {
            var ids = Enumerable.Range(0, random.Next(1, 60)).Select(_ => random.Next(Demo.VocabCount)).ToArray();
            var detokenizer = Demo.CreateStreamingDetokenizer();
            var text = new StringBuilder();
            foreach (var id in ids)
            {
                var delta = detokenizer.Push(id);
                AssertWholeCharacters(delta);
                text.Append(delta);
            }
            var tail = detokenizer.Flush();
            AssertWholeCharacters(tail);
            text.Append(tail);

            Assert.Equal(Demo.Decode(ids), text.ToString());
        }
    }

    [Fact]
    public void Push_EmojiSplitAcrossTokens_HoldsBackUntilComplete()
    {
        // Byte-level BPE on a small vocab splits a 4-byte emoji and 3-byte CJK into several tokens.
        var text = "ok 😀中🎉 done";
        var ids = Demo.Encode(text);
        Assert.True(ids.Count > text.Length / 2, "expected the rare characters to span several tokens");
        var detokenizer = Demo.CreateStreamingDetokenizer();

        var deltas = ids.Select(detokenizer.Push).ToList();

        Assert.DoesNotContain(deltas, d => d.Contains('\uFFFD'));
        Assert.Contains(deltas, d => d.Length == 0);
        Assert.Equal(text, string.Concat(deltas) + detokenizer.Flush());
    }

    [Fact]
    public void Flush_UnfinishedCharacter_ReleasesReplacementCharacter()
    {
        var ids = Demo.Encode("😀");
        var detokenizer = Demo.CreateStreamingDetokenizer();

        var emitted = string.Concat(ids.Take(ids.Count - 1).Select(detokenizer.Push));
        var flushed = detokenizer.Flush();

        Assert.Equal(string.Empty, emitted);
        Assert.Equal(Demo.Decode(ids.Take(ids.Count - 1)), flushed);
        Assert.Contains('\uFFFD', flushed);
    }

    [Fact]
    public void Push_SkipSpecialTokens_OmitsSpecialText()
    {
        var ids = Demo.Encode("hi<|endoftext|> there");
        var detokenizer = Demo.CreateStreamingDetokenizer(skipSpecialTokens: true);

        var text = string.Concat(ids.Select(detokenizer.Push)) + detokenizer.Flush();

        Assert.Equal("hi there", text);
    }

    [Fact]
    public void Push_RandomUnicodeText_StreamsBackExactly()
    {
        var random = new Random(Environment.TickCount);
        for (var trial = 0; trial < 50; trial++)
        {
            var text = MambaTokenizerTests.RandomText(random, random.Next(1, 30));
            var detokenizer = Demo.CreateStreamingDetokenizer();

            var streamed = string.Concat(Demo.Encode(text).Select(detokenizer.Push)) + detokenizer.Flush();

            Assert.Equal(text, streamed);
        }
    }

    // A delta must never end in a lone high surrogate or start with a lone low surrogate.
    private static void AssertWholeCharacters(string delta)
    {
        if (delta.Length == 0)
        {
            return;
        }
        Assert.False(char.IsHighSurrogate(delta[^1]), "delta ends inside a surrogate pair");
        Assert.False(char.IsLowSurrogate(delta[0]), "delta starts inside a surrogate pair");
    }
}
