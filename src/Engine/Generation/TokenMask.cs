using System.Collections;
using System.Runtime.InteropServices;

namespace MambaServe.Engine.Generation;

/// <summary>
/// Token ids a grammar bans for one step, in the two forms the samplers take: the sorted ids (the host sampler sets
/// each to -inf) and the same set as a bitmask over the vocabulary, bit <c>id &amp; 31</c> of word <c>id &gt;&gt; 5</c>
/// (the device sampler's <c>msv_sampling.ban_bits</c>). A grammar usually bans most of the vocabulary, so the bitmask
/// is what a GPU step uploads: 6 KB a row at 50k ids, where the ids as bias entries were ~360 KB. Immutable, so one
/// mask serves every sample in the same grammar state; the words live on the pinned object heap, so a native step
/// reads them in place (<see cref="BitsAddress"/>) for as long as the mask is referenced.
/// </summary>
public sealed class TokenMask : IReadOnlyList<int>
{
    private readonly int[] _ids;
    private readonly uint[] _bits;

    private TokenMask(int[] sortedIds, int vocabulary)
    {
        _ids = sortedIds;
        Vocabulary = vocabulary;
        _bits = GC.AllocateArray<uint>((vocabulary + 31) / 32, pinned: true);
        foreach (int id in sortedIds)
        {
            _bits[id >> 5] |= 1u << (id & 31);
        }
    }

    /// <summary>Nothing banned, over no vocabulary.</summary>
    public static TokenMask None { get; } = new([], 0);

    /// <summary>Ids the bitmask covers: [0, Vocabulary).</summary>
    public int Vocabulary { get; }

    public int Count => _ids.Length;

    public int this[int index] => _ids[index];

    /// <summary>The bitmask: <c>(Vocabulary + 31) / 32</c> words, a set bit bans its id.</summary>
    public ReadOnlySpan<uint> Bits => _bits;

    /// <summary>The bitmask's address, fixed for the mask's lifetime (0 when it has no words).</summary>
    public nint BitsAddress => _bits.Length == 0 ? 0 : Marshal.UnsafeAddrOfPinnedArrayElement(_bits, 0);

    /// <summary>The mask banning <paramref name="ids"/> (any order, repeats allowed), each in [0, <paramref name="vocabulary"/>).</summary>
    public static TokenMask Of(IEnumerable<int> ids, int vocabulary)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(vocabulary);
        var sorted = ids.Distinct().Order().ToArray();
        if (sorted.Length > 0 && (sorted[0] < 0 || sorted[^1] >= vocabulary))
        {
            throw new ArgumentOutOfRangeException(nameof(ids), $"Banned ids must be in [0, {vocabulary}); got {(sorted[0] < 0 ? sorted[0] : sorted[^1])}.");
        }

        return new TokenMask(sorted, vocabulary);
    }

    /// <summary>A mask from ids already sorted ascending, distinct and in range (the grammar's mask builder makes them so).</summary>
    internal static TokenMask FromSorted(int[] sortedIds, int vocabulary) => new(sortedIds, vocabulary);

    /// <summary>Whether <paramref name="id"/> is banned.</summary>
    public bool Bans(int id) => (uint)id < (uint)Vocabulary && (_bits[id >> 5] & (1u << (id & 31))) != 0;

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)_ids).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
