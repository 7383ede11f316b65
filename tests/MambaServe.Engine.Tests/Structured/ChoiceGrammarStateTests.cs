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
    public void Table_DuplicatesDropped_SortedByBytes()
    {
        Assert.Equal(5, s_table.Count);
        for (int i = 1; i < s_table.Count; i++)
        {
            Assert.True(s_table[i - 1].AsSpan().SequenceCompareTo(s_table[i]) < 0);
        }
    }
}
