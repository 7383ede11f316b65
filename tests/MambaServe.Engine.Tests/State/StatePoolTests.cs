using MambaServe.Engine.State;

namespace MambaServe.Engine.Tests.State;

public sealed class StatePoolTests
{
    [Fact]
    public void TryLease_UntilExhausted_GivesEveryDistinctSlotOnceThenFails()
    {
        int count = Random.Shared.Next(3, 40);
        var pool = new StatePool(count, _ => { });

        var slots = new List<int>();
        while (pool.TryLease(out int slot))
        {
            slots.Add(slot);
        }

        Assert.Equal(Enumerable.Range(0, count), slots.Order());
        Assert.Equal(count, pool.InUse);
        Assert.Equal(0, pool.Free);
    }

    [Fact]
    public void TryLease_AfterRelease_ReusesSlotAndResetsIt()
    {
        var reset = new List<int>();
        var pool = new StatePool(2, reset.Add);
        pool.TryLease(out int a);
        pool.TryLease(out _);

        pool.Release(a);
        Assert.True(pool.TryLease(out int again));

        Assert.Equal(a, again);
        Assert.Equal(3, reset.Count);
        Assert.Equal(a, reset[^1]);
    }

    [Fact]
    public void Release_SlotNotLeased_Throws()
    {
        var pool = new StatePool(4, _ => { });
        pool.TryLease(out int slot);
        pool.Release(slot);

        Assert.Throws<InvalidOperationException>(() => pool.Release(slot));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Release(4));
    }

    [Fact]
    public void TryLease_ResetThrows_SlotStaysFree()
    {
        var pool = new StatePool(1, _ => throw new IOException("device lost"));

        Assert.Throws<IOException>(() => pool.TryLease(out _));
        Assert.Equal(1, pool.Free);
    }
}
