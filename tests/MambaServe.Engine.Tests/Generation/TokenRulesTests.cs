using MambaServe.Engine.Generation;

namespace MambaServe.Engine.Tests.Generation;

public sealed class TokenRulesTests
{
    [Fact]
    public void AllowedIds_BanEveryOtherId_AtEveryStep()
    {
        var rules = new TokenRules(100, [3, 5, 99], []);
        var constraint = rules.Create();

        for (int step = 0; step < 3; step++)
        {
            var banned = constraint.Banned();
            Assert.Equal(Enumerable.Range(0, 100).Except([3, 5, 99]), banned);
            constraint.Advance(5);
        }
    }

    [Fact]
    public void BadWords_BanTheLastTokenWhereTheRestWasJustGenerated_AndOneTokenWordsAlways()
    {
        var rules = new TokenRules(50, null, [[7], [1, 2, 3], [2, 4]]);
        var constraint = rules.Create();

        Assert.Equal([7], constraint.Banned());
        constraint.Advance(1);
        Assert.Equal([7], constraint.Banned());
        constraint.Advance(2);
        Assert.Equal([3, 4, 7], constraint.Banned()); // after 1, 2: [1, 2, 3] and [2, 4] would complete
        constraint.Advance(2);
        Assert.Equal([4, 7], constraint.Banned());
        constraint.Advance(9);
        Assert.Equal([7], constraint.Banned());
    }

    [Fact]
    public void EachSample_KeepsItsOwnHistory_AndBothRulesCombine()
    {
        var rules = new TokenRules(20, [1, 2, 3, 4], [[1, 2], [4]]);
        var first = rules.Create();
        var second = rules.Create();

        first.Advance(1);

        Assert.Equal(Enumerable.Range(0, 20).Except([1, 3]), first.Banned());
        Assert.Equal(Enumerable.Range(0, 20).Except([1, 2, 3]), second.Banned());
    }

    [Fact]
    public void BadInput_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenRules(10, [10], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenRules(10, [-1], []));
        Assert.Throws<ArgumentException>(() => new TokenRules(10, null, [[]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenRules(10, null, [[12]]));
    }
}
