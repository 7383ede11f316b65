namespace MambaServe.Engine.Tokenization;

/// <summary>
/// GPT-2's byte-level alphabet: every byte maps to one printable char, so BPE vocabularies are plain strings.
/// Microsoft.ML.Tokenizers applies it internally but does not expose it, and streaming detokenization needs the raw
/// bytes of each token, so the (fixed, 256-entry) table is rebuilt here.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly Dictionary<char, byte> CharToByte = Build();
    private static readonly char[] ByteToChar = CharToByte.OrderBy(p => p.Value).Select(p => p.Key).ToArray();

    /// <summary>Text as HF's ByteLevel pre-tokenizer hands it on: each of its UTF-8 bytes as that byte's char.</summary>
    public static string ToChars(ReadOnlySpan<char> text)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(text)];
        System.Text.Encoding.UTF8.GetBytes(text, bytes);
        return string.Create(bytes.Length, bytes, (chars, b) =>
        {
            for (int i = 0; i < b.Length; i++) chars[i] = ByteToChar[b[i]];
        });
    }

    /// <summary>
    /// The bytes a vocabulary string stands for. As HF's ByteLevel decoder does, a string with any char outside the
    /// alphabet (an added token such as a run of literal spaces) stands for its own UTF-8 bytes.
    /// </summary>
    public static byte[] ToBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            if (!CharToByte.TryGetValue(token[i], out bytes[i]))
            {
                return System.Text.Encoding.UTF8.GetBytes(token);
            }
        }
        return bytes;
    }

    private static Dictionary<char, byte> Build()
    {
        // Printable Latin-1 bytes stand for themselves; the other 68 take code points 256.. in byte order.
        var map = new Dictionary<char, byte>(256);
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[printable ? (char)b : (char)next++] = (byte)b;
        }
        return map;
    }
}
