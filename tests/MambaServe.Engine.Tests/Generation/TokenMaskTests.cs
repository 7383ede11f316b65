using System.Runtime.InteropServices;
using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Tests.Generation;

public sealed class TokenMaskTests
{
    [Fact]
    public void Of_RandomIds_BitsAndIdsHoldTheSameSet()
    {
        var rng = new Random(7);
        foreach (int vocabulary in new[] { 1, 31, 32, 33, 1000, 50_280 })
        {
            var ids = Enumerable.Range(0, vocabulary / 2 + 1).Select(_ => rng.Next(vocabulary)).ToArray();
            var mask = TokenMask.Of(ids, vocabulary);

            var expected = ids.Distinct().Order().ToArray();
            Assert.Equal(expected, mask);
            Assert.Equal((vocabulary + 31) / 32, mask.Bits.Length);
            var fromBits = Enumerable.Range(0, mask.Bits.Length * 32).Where(id => (mask.Bits[id >> 5] >> (id & 31) & 1) != 0);
            Assert.Equal(expected, fromBits);
            Assert.All(Enumerable.Range(0, vocabulary), id => Assert.Equal(expected.Contains(id), mask.Bans(id)));
            Assert.False(mask.Bans(vocabulary));
            Assert.False(mask.Bans(-1));
        }
    }

    [Fact]
    public void BanningAllBut_BansExactlyTheIdsNotAllowed()
    {
        var rng = new Random(3);
        foreach (int vocabulary in new[] { 0, 5, 32, 70, 8192 })
        {
            var allowed = Enumerable.Range(0, vocabulary).Select(_ => rng.Next(3) == 0).ToArray();

            var mask = TokenMask.BanningAllBut(allowed);

            Assert.Equal(Enumerable.Range(0, vocabulary).Where(id => !allowed[id]), mask);
            Assert.Equal(allowed.Count(a => !a), mask.Count);
            Assert.Equal(vocabulary, mask.Vocabulary);
        }
    }

    [Fact]
    public void BitsAddress_ReadsTheMaskInPlace_AfterCollections()
    {
        var mask = TokenMask.Of([0, 5, 63, 64, 99], 100);
        nint address = mask.BitsAddress;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        var words = new int[mask.Bits.Length];
        Marshal.Copy(mask.BitsAddress, words, 0, words.Length);

        Assert.Equal(address, mask.BitsAddress);
        Assert.Equal(mask.Bits.ToArray().Select(w => unchecked((int)w)), words);
        Assert.Equal(0, TokenMask.None.BitsAddress);
        Assert.Empty(TokenMask.None);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(100)]
    public void Of_AnIdOutsideTheVocabulary_Throws(int id)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => TokenMask.Of([3, id], 100));
        Assert.Contains($"got {id}", ex.Message);
    }
}
