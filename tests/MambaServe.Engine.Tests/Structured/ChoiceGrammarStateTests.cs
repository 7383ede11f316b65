using MambaServe.Engine.Structured;

namespace MambaServe.Engine.Tests.Structured;

public sealed class ChoiceGrammarStateTests
{
    private static readonly ChoiceTable s_table = new(["yes", "no", "maybe", "yes please", "no", "日本"]);

    [Theory]
    [InlineData("yes", true)]
    [InlineData("yes please", true)]
    [InlineData("no", true)]
    [InlineData("maybe", true)]
    [InlineData("日本", true)]
    [InlineData("ye", false)]
    [InlineData("yes ", false)]
    [InlineData("", false)]
    public void Feed_PrefixOfAChoice_AcceptedAndCompleteWhenWhole(string output, bool complete)
    {
        Assert.True(ChoiceGrammarState.Start(s_table).Feed(System.Text.Encoding.UTF8.GetBytes(output), out var state));

        Assert.Equal(complete, state.IsComplete);
    }

    [Theory]
    [InlineData("yess")]
    [InlineData("x")]
    [InlineData("noo")]
    [InlineData("maybe ")]
    [InlineData("Yes")]
    public void Feed_NotAPrefixOfAnyChoice_Refused(string output) =>
        Assert.False(ChoiceGrammarState.Start(s_table).Feed(System.Text.Encoding.UTF8.GetBytes(output), out _));

    [Fact]
    public void Feed_ManyChoices_AgreesWithPrefixesOfTheList()
    {
        var rng = new Random(31);
        var words = Enumerable.Range(0, 20_000).Select(_ => new string(Enumerable.Range(0, rng.Next(1, 7)).Select(_ => (char)('a' + rng.Next(4))).ToArray())).ToList();
        var table = new ChoiceTable(words);
        var prefixes = words.SelectMany(w => Enumerable.Range(0, w.Length + 1).Select(n => w[..n])).ToHashSet();
        var whole = words.ToHashSet();

        for (int n = 0; n < 5000; n++)
        {
            var text = new string(Enumerable.Range(0, rng.Next(0, 8)).Select(_ => (char)('a' + rng.Next(5))).ToArray());
            bool fed = ChoiceGrammarState.Start(table).Feed(System.Text.Encoding.ASCII.GetBytes(text), out var state);

            Assert.Equal(prefixes.Contains(text), fed);
            Assert.Equal(whole.Contains(text), fed && state.IsComplete);
        }
    }

    [Fact]
    public void Table_DuplicatesDropped_SortedByBytes()
    {
        Assert.Equal(5, s_table.Count);
        for (int i = 1; i < s_table.Count; i++)
        {
            Assert.True(s_table[i - 1].AsSpan().SequenceCompareTo(s_table[i]) < 0);
        }
    }
}
