using System.Text;
using System.Text.RegularExpressions;
using MambaServe.Engine.Structured;

namespace MambaServe.Engine.Tests.Structured;

/// <summary>
/// GBNF grammars (<see cref="GbnfParser"/>, <see cref="GbnfGrammarState"/>) against oracles: regular ones against .NET's
/// Regex on random texts, balanced parentheses against a counter (prefixes too), a JSON grammar against
/// System.Text.Json on random and mutated documents.
/// </summary>
public sealed class GbnfGrammarStateTests
{
    [Theory]
    [InlineData("""root ::= ("ab" | [c-e]+)* "z"?""", "^(ab|[c-e]+)*z?\\z", "abcdez")]
    [InlineData("root ::= [0-9]{2,4} (\".\" [0-9]+)?", @"^[0-9]{2,4}(\.[0-9]+)?\z", "0123.")]
    [InlineData("""root ::= "x" [^x\n]* "x" """, "^x[^x\n]*x\\z", "xy\nzé")]
    [InlineData("root ::= word (\" \" word){0,2}\nword ::= [α-ω]+ | \"é\"", "^([α-ω]+|é)( ([α-ω]+|é)){0,2}\\z", "αβω é")]
    [InlineData("root ::= a\n  | b # two alternatives over two lines\na ::= \"a\"+\nb ::= \"b\" . \"b\"", "^(a+|b.b)\\z", "abé")]
    public void Feed_RegularGrammars_AcceptExactlyWhatTheRegexMatches(string grammar, string pattern, string alphabet)
    {
        var start = GbnfGrammarState.Start(GbnfParser.Parse(grammar));
        var regex = new Regex(pattern, RegexOptions.CultureInvariant);
        var rng = new Random(grammar.Length);
        int matched = 0;
        for (int n = 0; n < 20_000; n++)
        {
            var text = new string(Enumerable.Range(0, rng.Next(0, 9)).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
            var bytes = Encoding.UTF8.GetBytes(text);

            bool ours = start.Feed(bytes, out var end) && end.IsComplete;

            Assert.True(ours == regex.IsMatch(text), $"`{text}`: grammar {ours}, regex {!ours}");
            if (ours)
            {
                matched++;
                for (int i = 0; i < bytes.Length; i++)
                {
                    Assert.True(start.Feed(bytes.AsSpan(0, i), out _), $"a prefix of `{text}` refused");
                }
            }
        }

        Assert.True(matched > 50, $"{matched} matches");
    }

    [Fact]
    public void Feed_BalancedParentheses_AcceptsExactlyTheValidPrefixes()
    {
        var start = GbnfGrammarState.Start(GbnfParser.Parse("root ::= item*\nitem ::= \"(\" item* \")\" | \"x\""));
        var rng = new Random(11);
        for (int n = 0; n < 20_000; n++)
        {
            var text = new string(Enumerable.Range(0, rng.Next(0, 14)).Select(_ => "(()x"[rng.Next(4)]).ToArray());
            int depth = 0, lowest = 0;
            foreach (char c in text)
            {
                depth += c switch { '(' => 1, ')' => -1, _ => 0 };
                lowest = Math.Min(lowest, depth);
            }

            bool fed = start.Feed(Encoding.ASCII.GetBytes(text), out var end);

            Assert.Equal(lowest >= 0, fed);
            Assert.Equal(lowest >= 0 && depth == 0, fed && end.IsComplete);
        }
    }

    [Fact]
    public void Feed_JsonGrammar_AgreesWithSystemTextJsonOnRandomAndMutatedDocuments()
    {
        var start = GbnfGrammarState.Start(GbnfParser.Parse(GrammarMaskBench.JsonGbnf));
        var rng = new Random(5);
        int valid = 0, invalid = 0;
        for (int n = 0; n < 2000; n++)
        {
            var bytes = Encoding.UTF8.GetBytes(RandomJson.Object(rng, 0, spaceAfter: true));
            if (n % 2 == 1)
            {
                RandomJson.Mutate(rng, bytes);
            }

            bool ours = start.Feed(bytes, out var end) && end.IsComplete;
            bool theirs = RandomJson.ParsesAsObject(bytes);

            Assert.True(ours == theirs, $"{Encoding.UTF8.GetString(bytes)}: grammar {ours}, System.Text.Json {theirs}");
            (theirs ? ref valid : ref invalid)++;
        }

        Assert.True(valid > 1000 && invalid > 400, $"{valid} valid, {invalid} invalid");
    }

    [Fact]
    public void Feed_ALeadByteNoStackCanFinish_RefusedAtOnce()
    {
        var start = GbnfGrammarState.Start(GbnfParser.Parse("root ::= [a-z] | \"é\""));

        Assert.True(start.Feed([0xC3], out _));   // é begins with C3
        Assert.False(start.Feed([0xC4], out _));  // nothing in C4's range (U+0100..U+013F) is allowed
        Assert.False(start.Feed([0xC3, 0xA8], out _)); // è
    }

    [Fact]
    public void Feed_ALongRepetition_KeepsReusingTheSameStates()
    {
        var start = GbnfGrammarState.Start(GbnfParser.Parse("root ::= \"[\" [a-z]* \"]\""));
        Assert.True(start.Feed("[ab"u8, out var short_));

        Assert.True(start.Feed(Encoding.ASCII.GetBytes("[" + new string('q', 5000)), out var long_));

        Assert.Equal(short_, long_); // tail calls: the stacks after 2 letters and after 5000 are the same state
    }

    [Fact]
    public void Feed_MoreStackSetsThanGetAsciiTables_StillReadsEveryCharacter()
    {
        // Each nesting level is a new stack set: past the 2,048 sets with an ASCII step table, steps go through the memo.
        var start = GbnfGrammarState.Start(GbnfParser.Parse("root ::= \"(\" root \")\" | \"x\""));
        var text = Encoding.ASCII.GetBytes(new string('(', 3000) + "x" + new string(')', 3000));

        Assert.True(start.Feed(text, out var end) && end.IsComplete);
        Assert.False(start.Feed(text.AsSpan(0, 6000), out var open) && open.IsComplete);
        Assert.False(start.Feed([.. text, (byte)')'], out _));
    }

    [Fact]
    public void Parse_EmptyAlternativesThatMultiply_ReadInLinearTime()
    {
        // 2^1000 ways to read nothing before the "x": each (position, stack below) is expanded once.
        var start = GbnfGrammarState.Start(GbnfParser.Parse("root ::= (\"\" | \"\"){0,1000} \"x\""));

        Assert.True(start.Feed("x"u8, out var end) && end.IsComplete);
    }

    [Fact]
    public void Parse_OptionalRulesNestedAMillionDeep_RefusedNotOverflowingTheStack()
    {
        var error = Assert.Throws<GrammarNotSupportedException>(() => GbnfParser.Parse("root ::= (((\"a\")?){0,1000}){0,1000} \"b\""));

        Assert.Contains($"more than {GbnfStacks.MaxExpansions} positions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Feed_RecursionDeeperThanTheNodeBudget_FailsWithAClearError()
    {
        var state = GbnfGrammarState.Start(GbnfParser.Parse("root ::= \"(\" root \")\" | \"x\""));
        Assert.True(state.Feed("((x))"u8, out var nested) && nested.IsComplete); // rule 0 referenced from itself

        var error = Assert.Throws<InvalidOperationException>(() =>
        {
            for (int i = 0; i <= GbnfStacks.MaxNodes; i++)
            {
                Assert.True(state.Feed((byte)'(', out state));
            }
        });

        Assert.Contains($"{GbnfStacks.MaxNodes} stack nodes", error.Message, StringComparison.Ordinal);
    }
}
