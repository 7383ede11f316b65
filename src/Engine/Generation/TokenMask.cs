using System.Collections;
using System.Numerics;
using System.Runtime.InteropServices;

namespace MambaServe.Engine.Generation;

/// <summary>
/// Token ids a grammar bans for one step, as a bitmask over the vocabulary: bit <c>id &amp; 31</c> of word
/// <c>id &gt;&gt; 5</c> set bans <c>id</c>. The device sampler takes the words as they are (<c>msv_sampling.ban_bits</c>:
/// 6 KB a row at 50k ids, where the ids as bias entries were ~360 KB) and the host sampler walks the set bits. A
/// grammar usually bans most of the vocabulary, so the bits are also what the mask cache keeps (the sorted ids took
/// 200 KB a state). Immutable, so one mask serves every sample in the same grammar state; the words live on the
/// pinned object heap, so a native step reads them in place (<see cref="BitsAddress"/>) while the mask is referenced.
/// Enumerates the banned ids in ascending order.
/// </summary>
public sealed class TokenMask : IEnumerable<int>
{
    private readonly uint[] _bits;

    private TokenMask(uint[] bits, int vocabulary)
    {
        _bits = bits;
        Vocabulary = vocabulary;
        foreach (uint word in bits)
        {
            Count += BitOperations.PopCount(word);
        }
    }

    /// <summary>Nothing banned, over no vocabulary.</summary>
    public static TokenMask None { get; } = new([], 0);

    /// <summary>Ids the bitmask covers: [0, Vocabulary).</summary>
    public int Vocabulary { get; }

    /// <summary>Banned ids.</summary>
    public int Count { get; }

    /// <summary>The bitmask: <c>(Vocabulary + 31) / 32</c> words, a set bit bans its id.</summary>
    public ReadOnlySpan<uint> Bits => _bits;

    /// <summary>The bitmask's address, fixed for the mask's lifetime (0 when it has no words).</summary>
    public nint BitsAddress => _bits.Length == 0 ? 0 : Marshal.UnsafeAddrOfPinnedArrayElement(_bits, 0);

    /// <summary>The mask banning <paramref name="ids"/> (any order, repeats allowed), each in [0, <paramref name="vocabulary"/>).</summary>
    public static TokenMask Of(IEnumerable<int> ids, int vocabulary)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(vocabulary);
        var bits = NewWords(vocabulary);
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)vocabulary)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), $"Banned ids must be in [0, {vocabulary}); got {id}.");
            }

            bits[id >> 5] |= 1u << (id & 31);
        }

        return new TokenMask(bits, vocabulary);
    }

    /// <summary>The mask banning every id whose <paramref name="allowed"/> entry is false (the vocabulary is its length).</summary>
    public static TokenMask BanningAllBut(ReadOnlySpan<bool> allowed)
    {
        var bits = NewWords(allowed.Length);
        for (int w = 0; w < bits.Length; w++)
        {
            var chunk = allowed.Slice(w * 32, Math.Min(32, allowed.Length - w * 32));
            uint word = 0;
            for (int b = 0; b < chunk.Length; b++)
            {
                word |= chunk[b] ? 0u : 1u << b;
            }

            bits[w] = word;
        }

        return new TokenMask(bits, allowed.Length);
    }

    /// <summary>The mask banning what <paramref name="mask"/> bans and <paramref name="ids"/> too, over <paramref name="vocabulary"/> ids (at least the mask's).</summary>
    public static TokenMask Union(TokenMask mask, IEnumerable<int> ids, int vocabulary)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabulary, mask.Vocabulary);
        var bits = NewWords(vocabulary);
        mask._bits.CopyTo(bits, 0);
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)vocabulary)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), $"Banned ids must be in [0, {vocabulary}); got {id}.");
            }

            bits[id >> 5] |= 1u << (id & 31);
        }

        return new TokenMask(bits, vocabulary);
    }

    /// <summary>Whether <paramref name="id"/> is banned.</summary>
    public bool Bans(int id) => (uint)id < (uint)Vocabulary && (_bits[id >> 5] & (1u << (id & 31))) != 0;

    public IEnumerator<int> GetEnumerator()
    {
        for (int w = 0; w < _bits.Length; w++)
        {
            for (uint word = _bits[w]; word != 0; word &= word - 1)
            {
                yield return (w << 5) | BitOperations.TrailingZeroCount(word);
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static uint[] NewWords(int vocabulary) => GC.AllocateArray<uint>((vocabulary + 31) / 32, pinned: true);
}
