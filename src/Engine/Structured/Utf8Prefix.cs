namespace MambaServe.Engine.Structured;

/// <summary>
/// A UTF-8 character read a byte at a time by the code-point grammars (regex, GBNF): its bits so far, the
/// continuation bytes still needed and its length. <see cref="Range"/> gives the code points it can still become, with
/// overlong forms, surrogates and values past U+10FFFF left out, so a grammar can refuse a byte as soon as no character
/// it allows begins that way.
/// </summary>
public readonly record struct Utf8Prefix(int Bits, byte Needed, byte Length)
{
    /// <summary>The prefix a byte begins, or false for a byte that cannot begin a character (a continuation byte, C0, C1, F5-FF). ASCII: whole at once.</summary>
    public static bool Begin(byte b, out Utf8Prefix prefix)
    {
        prefix = b switch
        {
            < 0x80 => new(b, 0, 1),
            >= 0xC2 and <= 0xDF => new(b & 0x1F, 1, 2),
            >= 0xE0 and <= 0xEF => new(b & 0x0F, 2, 3),
            >= 0xF0 and <= 0xF4 => new(b & 0x07, 3, 4),
            _ => default,
        };
        return prefix.Length > 0;
    }

    /// <summary>The prefix with continuation byte <paramref name="b"/> added, or false when <paramref name="b"/> is not one.</summary>
    public bool Continue(byte b, out Utf8Prefix next)
    {
        next = new((Bits << 6) | (b & 0x3F), (byte)(Needed - 1), Length);
        return b is >= 0x80 and <= 0xBF;
    }

    /// <summary>Whole: <see cref="Bits"/> is the code point.</summary>
    public bool IsWhole => Needed == 0;

    /// <summary>The code points this prefix can still become (lo > hi: none), whole characters included.</summary>
    public (int Lo, int Hi) Range
    {
        get
        {
            int lo = Math.Max(Bits << (6 * Needed), Length switch { 1 => 0, 2 => 0x80, 3 => 0x800, _ => 0x10000 });
            int hi = Math.Min((Bits << (6 * Needed)) | ((1 << (6 * Needed)) - 1), 0x10FFFF);
            if (Length == 3 && lo <= 0xDFFF && hi >= 0xD800)
            {
                // A surrogate prefix (ED A0-BF) holds nothing else; other ranges around them keep their ends.
                (lo, hi) = hi <= 0xDFFF ? (lo >= 0xD800 ? (1, 0) : (lo, 0xD7FF)) : lo >= 0xD800 ? (0xE000, hi) : (lo, hi);
            }

            return (lo, hi);
        }
    }
}
