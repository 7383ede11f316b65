using System.Text;

namespace MambaServe.Engine.Tokenization;

/// <summary>
/// Turns one sequence's token ids into text as they arrive. A token may end inside a UTF-8 character (byte-level
/// BPE splits emoji and CJK); the UTF-8 decoder holds such bytes back until the character completes, so no delta
/// holds a broken character and the concatenated deltas plus <see cref="Flush"/> equal
/// <see cref="MambaTokenizer.Decode"/> of all ids. Not thread-safe: one per sequence.
/// </summary>
public sealed class StreamingDetokenizer
{
    private readonly MambaTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private char[] _chars = new char[64];

    internal StreamingDetokenizer(MambaTokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>The text that <paramref name="tokenId"/> completes (often empty when it ends mid-character).</summary>
    public string Push(int tokenId)
    {
        if (_skipSpecialTokens && _tokenizer.IsSpecial(tokenId))
        {
            return string.Empty;
        }
        return Convert(_tokenizer.TokenBytes(tokenId), flush: false);
    }

    /// <summary>Releases held-back bytes at the end of the sequence (an unfinished character becomes U+FFFD).</summary>
    public string Flush() => Convert([], flush: true);

    private string Convert(ReadOnlySpan<byte> bytes, bool flush)
    {
        var needed = _decoder.GetCharCount(bytes, flush: false) + 4;
        if (_chars.Length < needed)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }
        var count = _decoder.GetChars(bytes, _chars, flush);
        return count == 0 ? string.Empty : new string(_chars, 0, count);
    }
}
