using MambaServe.Engine.Backends;
using MambaServe.Engine.State;

namespace MambaServe.Engine.Tests.State;

public sealed class PrefixStateCacheTests
{
    private static int[] RandomTokens(int length) => Enumerable.Range(0, length).Select(_ => Random.Shared.Next(50_000)).ToArray();

    private static TestSnapshot RandomSnapshot(int floats = 10) => new(floats * sizeof(float));

    private sealed class TestSnapshot(long sizeInBytes) : IStateSnapshot
    {
        public long SizeInBytes => sizeInBytes;

        public int DisposeCount { get; private set; }

        public void Dispose() => DisposeCount++;
    }

    [Fact]
    public void FindDeepest_SeveralPrefixesStored_ReturnsDeepestWithinMaxLength()
    {
        var cache = new PrefixStateCache(interval: 8, maxBytes: 1 << 20);
        int[] tokens = RandomTokens(40);
        var at8 = RandomSnapshot();
        var at24 = RandomSnapshot();
        cache.Add(tokens, 8, at8);
        cache.Add(tokens, 24, at24);

        Assert.Same(at24, cache.FindDeepest(tokens, 39)!.Snapshot);
        Assert.Equal(8, cache.FindDeepest(tokens, 23)!.Length);
        Assert.Null(cache.FindDeepest(tokens, 7));
        Assert.Equal(2, cache.Hits);
        Assert.Equal(3, cache.Lookups);
    }

    [Fact]
    public void FindDeepest_OtherSaltOrNone_Misses_SameSaltHits()
    {
        var cache = new PrefixStateCache(interval: 4, maxBytes: 1 << 20);
        int[] tokens = RandomTokens(12);
        var salted = RandomSnapshot();
        var plain = RandomSnapshot();
        cache.Add(tokens, 8, salted, salt: "tenant-a");
        cache.Add(tokens, 4, plain);

        Assert.Same(salted, cache.FindDeepest(tokens, 12, "tenant-a")!.Snapshot);
        Assert.Same(plain, cache.FindDeepest(tokens, 12)!.Snapshot); // the unsalted 4, not tenant-a's 8
        Assert.Null(cache.FindDeepest(tokens, 12, "tenant-b"));
        Assert.True(cache.Contains(tokens, 8, "tenant-a"));
        Assert.False(cache.Contains(tokens, 8));
        Assert.False(cache.Contains(tokens, 4, "tenant-a"));
    }

    [Fact]
    public void Add_SamePrefixUnderTwoSalts_KeepsBoth()
    {
        var cache = new PrefixStateCache(interval: 4, maxBytes: 1 << 20);
        int[] tokens = RandomTokens(4);
        var a = RandomSnapshot();
        var b = RandomSnapshot();

        cache.Add(tokens, 4, a, salt: "a");
        cache.Add(tokens, 4, b, salt: "b");

        Assert.Equal(2, cache.Count);
        Assert.Equal(0, a.DisposeCount + b.DisposeCount);
        Assert.Same(b, cache.FindDeepest(tokens, 4, "b")!.Snapshot);
    }

    [Fact]
    public void FindDeepest_DifferentTokensSameLength_Misses()
    {
        var cache = new PrefixStateCache(interval: 4, maxBytes: 1 << 20);
        int[] stored = RandomTokens(8);
        int[] other = [.. stored];
        other[Random.Shared.Next(8)] ^= 1;
        cache.Add(stored, 8, RandomSnapshot());

        Assert.Null(cache.FindDeepest(other, 8));
        Assert.True(cache.Contains(stored, 8));
        Assert.False(cache.Contains(other, 8));
    }

    [Fact]
    public void Add_OverByteBudget_EvictsLeastRecentlyUsed()
    {
        var snapshotBytes = RandomSnapshot().SizeInBytes;
        var cache = new PrefixStateCache(interval: 4, maxBytes: snapshotBytes * 2);
        int[] a = RandomTokens(4), b = RandomTokens(4), c = RandomTokens(4);
        var atA = RandomSnapshot();
        var atB = RandomSnapshot();
        cache.Add(a, 4, atA);
        cache.Add(b, 4, atB);
        Assert.NotNull(cache.FindDeepest(a, 4)); // a is now more recent than b

        cache.Add(c, 4, RandomSnapshot());

        Assert.True(cache.Contains(a, 4));
        Assert.False(cache.Contains(b, 4));
        Assert.True(cache.Contains(c, 4));
        Assert.Equal(1, atB.DisposeCount);
        Assert.Equal(0, atA.DisposeCount);
        Assert.Equal(snapshotBytes * 2, cache.SizeInBytes);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Add_SnapshotLargerThanBudget_IsNotStored()
    {
        var big = RandomSnapshot(100);
        var cache = new PrefixStateCache(interval: 2, maxBytes: big.SizeInBytes - 1);

        cache.Add(RandomTokens(2), 2, big);

        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.SizeInBytes);
        Assert.Equal(1, big.DisposeCount);
    }

    [Fact]
    public void Add_PrefixAlreadyStored_KeepsFirstAndDisposesSecond()
    {
        var cache = new PrefixStateCache(interval: 4, maxBytes: 1 << 20);
        int[] tokens = RandomTokens(8);
        var first = RandomSnapshot();
        var second = RandomSnapshot();

        cache.Add(tokens, 8, first);
        cache.Add(tokens, 8, second);

        Assert.Same(first, cache.FindDeepest(tokens, 8)!.Snapshot);
        Assert.Equal((0, 1), (first.DisposeCount, second.DisposeCount));
    }

    [Fact]
    public void Clear_SnapshotsStored_DisposesEachOnceAndEmpties()
    {
        var cache = new PrefixStateCache(interval: 4, maxBytes: 1 << 20);
        var snapshots = Enumerable.Range(0, 5).Select(_ => RandomSnapshot()).ToList();
        foreach (var snapshot in snapshots)
        {
            cache.Add(RandomTokens(4), 4, snapshot);
        }

        cache.Clear();

        Assert.All(snapshots, s => Assert.Equal(1, s.DisposeCount));
        Assert.Equal((0, 0L), (cache.Count, cache.SizeInBytes));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public void Add_LengthNotWithinTheTokens_ThrowsAndDisposesTheSnapshot(int length)
    {
        var cache = new PrefixStateCache(interval: 4, maxBytes: 1 << 20);
        var snapshot = RandomSnapshot();

        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Add(RandomTokens(8), length, snapshot));
        Assert.Equal(1, snapshot.DisposeCount);
    }

    [Fact]
    public void FindDeepest_EndEntriesOffTheInterval_AreProbedBesideTheBoundaries()
    {
        var cache = new PrefixStateCache(interval: 4, maxBytes: 1 << 20);
        int[] tokens = RandomTokens(20);
        var at6 = RandomSnapshot();
        var at8 = RandomSnapshot();
        var at11 = RandomSnapshot();
        cache.Add(tokens, 8, at8);
        cache.Add(tokens, 11, at11);
        cache.Add(tokens, 6, at6);

        Assert.Same(at11, cache.FindDeepest(tokens, 19)!.Snapshot);
        Assert.Same(at8, cache.FindDeepest(tokens, 10)!.Snapshot);
        Assert.Same(at6, cache.FindDeepest(tokens, 7)!.Snapshot);
        Assert.Null(cache.FindDeepest(tokens, 5));
        // Another answer after the same first 9 tokens: the end entry at 11 does not match, the boundary at 8 does.
        int[] other = [.. tokens[..9], .. RandomTokens(11)];
        other[10] = tokens[10] + 1;
        Assert.Same(at8, cache.FindDeepest(other, 19)!.Snapshot);
        Assert.Equal(11 + 8 + 6 + 8, cache.HitTokens);
    }

    [Fact]
    public void FindDeepest_AnEvictedEndEntry_IsNoLongerProbedOrFound()
    {
        var snapshotBytes = RandomSnapshot().SizeInBytes;
        var cache = new PrefixStateCache(interval: 4, maxBytes: snapshotBytes);
        int[] tokens = RandomTokens(12);
        var at7 = RandomSnapshot();
        cache.Add(tokens, 7, at7);
        Assert.Equal(7, cache.FindDeepest(tokens, 11)!.Length);

        cache.Add(tokens, 4, RandomSnapshot());

        Assert.Equal(1, at7.DisposeCount);
        Assert.Equal(4, cache.FindDeepest(tokens, 11)!.Length);
        cache.Add(tokens, 7, RandomSnapshot());
        Assert.Equal(7, cache.FindDeepest(tokens, 11)!.Length);
    }
}
