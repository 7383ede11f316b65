using System.Text;
using MambaServe.Engine.Structured;
using MambaServe.Engine.Tokenization;

namespace MambaServe.Engine.Tests.Structured;

public sealed class GbnfParserTests
{
    private static readonly MambaTokenizer s_tokenizer = MambaTokenizer.TryLoad(Infrastructure.TestPaths.DemoModel)!;

    [Theory]
    [InlineData("main ::= \"a\"", "no `root` rule")]
    [InlineData("root ::= item\n", "rule `item` is used but not defined (line 1, column 10)")]
    [InlineData("root ::= \"a\"\nroot ::= \"b\"", "rule `root` is defined twice (line 2, column 1)")]
    [InlineData("root ::= root \"a\" | \"b\"", "rule `root` is left-recursive (root -> root)")]
    [InlineData("root ::= a\na ::= b? c\nb ::= \"x\"\nc ::= a \"y\"", "left-recursive (a -> c -> a)")]
    [InlineData("root ::= \"abc", "unterminated string literal (line 1, column 10)")]
    [InlineData("root ::= [a-", "unterminated character class")]
    [InlineData("root ::= [z-a]", "character range z-a is reversed")]
    [InlineData("root ::= \"\\q\"", "unknown escape `\\q`")]
    [InlineData("root ::= \"\\u12\"", "4 hex digits")]
    [InlineData("root ::= \"a\"{1001}", "a whole number up to 1000")]
    [InlineData("root ::= \"a\"{3,2}", "upper bound below its lower")]
    [InlineData("root ::= \"a\"**", "`*` after a repetition")]
    [InlineData("root ::= (\"a\" | \"b\"", "expected `)` at the end")]
    [InlineData("root = \"a\"", "expected `::=`, found `=`")]
    [InlineData("root ::= \"a\" ) \"b\"", "expected the end of the line after rule `root`, found `)`")]
    public void Parse_BadGrammars_RefusedSayingWhatAndWhere(string grammar, string what)
    {
        var error = Assert.Throws<GrammarNotSupportedException>(() => GbnfParser.Parse(grammar));

        Assert.Contains(what, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RepetitionsPastTheElementBudget_Refused() =>
        Assert.Contains($"{GbnfParser.MaxElements} elements", Assert.Throws<GrammarNotSupportedException>(
            () => GbnfParser.Parse("root ::= " + string.Concat(Enumerable.Repeat("\"a\"{0,1000} ", 60)))).Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_GroupsNestedPastTheLimit_Refused() =>
        Assert.Contains($"groups nested more than {GbnfParser.MaxNesting} deep", Assert.Throws<GrammarNotSupportedException>(
            () => GbnfParser.Parse("root ::= " + new string('(', 30_000) + "\"a\"" + new string(')', 30_000))).Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_ALeftmostChainOfTensOfThousandsOfRules_CheckedWithoutOverflowingTheStack()
    {
        // 40 nested nullable repetitions: a chain of ~40,000 rules each reached first by the one before it.
        var text = "root ::= " + string.Concat(Enumerable.Repeat("(", 40)) + "\"a\"?" + string.Concat(Enumerable.Repeat("){0,1000}", 40)) + " \"b\"";

        var error = Record.Exception(() => GbnfParser.Parse(text));

        Assert.True(error is null or GrammarNotSupportedException, error?.ToString());
    }

    [Fact]
    public void Parse_PastTheLength_Refused() =>
        Assert.Contains("more than", Assert.Throws<GrammarNotSupportedException>(
            () => GbnfParser.Parse("root ::= \"a\"" + new string(' ', GbnfParser.MaxLength))).Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_CommentsEscapesAndMultilineGroups_AreRead()
    {
        var grammar = GbnfParser.Parse("""
            # a comment line
            root ::= (
                greeting   # inside a group, lines go on
              | "\x41\u00e9\U0001F600\t\"\\\[\]"
            ) [\-\]a]?
            greeting ::= "hi"
            """);
        var start = GbnfGrammarState.Start(grammar);

        foreach (var text in new[] { "hi", "hi-", "hi]", "hia", "Aé😀\t\"\\[]" })
        {
            Assert.True(start.Feed(Encoding.UTF8.GetBytes(text), out var end) && end.IsComplete, text);
        }

        Assert.False(start.Feed("hib"u8, out _));
    }

    /// <summary>The layout llama.cpp's grammars use: a body on the lines after <c>::=</c>, a line ending in <c>|</c>, an empty first alternative.</summary>
    [Fact]
    public void Parse_BodiesOnLaterLinesAndAnEmptyFirstAlternative_AreRead()
    {
        var grammar = GbnfParser.Parse("""
            root ::=
              "[" ws (
                    item
                ("," ws item)*   # more items
              )? "]"
            item ::= [a-z]+ |
              [0-9]+
            ws ::= | " " | "\n" [ \t]{0,4}
            """);
        var start = GbnfGrammarState.Start(grammar);

        foreach (var text in new[] { "[]", "[ ab]", "[\n\t\tab,12,\n x]", "[12, 3]" })
        {
            Assert.True(start.Feed(Encoding.UTF8.GetBytes(text), out var end) && end.IsComplete, text);
        }

        Assert.False(start.Feed("[ab,]"u8, out var trailing) && trailing.IsComplete);
        Assert.False(start.Feed("[\n\t\t\t\t\tab]"u8, out _)); // five tabs: past {0,4}
    }

    /// <summary>
    /// vLLM's documented grammar example, over the demo model's tokens: random walks that take only allowed tokens end
    /// (EOS allowed only then) with text the grammar accepts whole.
    /// </summary>
    [Fact]
    public void RandomWalks_OverTheDemoVocabulary_EndOnlyInSentencesOfTheGrammar()
    {
        const string sql = """
            root ::= select_statement
            select_statement ::= "SELECT " column " from " table " where " condition
            column ::= "col_1 " | "col_2 "
            table ::= "table_1 " | "table_2 "
            condition ::= column "= " number
            number ::= "1 " | "2 "
            """;
        var factory = StructuredOutputs.Grammar(s_tokenizer, StructuredOutputs.CompileGrammar(sql));
        var vocab = StructuredVocabulary.For(s_tokenizer);
        var rng = new Random(9);
        for (int walk = 0; walk < 20; walk++)
        {
            var constraint = factory.Create();
            var tokens = new List<int>();
            while (true)
            {
                var banned = constraint.Banned();
                var allowed = Enumerable.Range(0, vocab.Count).Where(id => !banned.Bans(id)).ToList();
                Assert.NotEmpty(allowed);
                int token = allowed[rng.Next(allowed.Count)];
                constraint.Advance(token);
                if (token == s_tokenizer.EosTokenId)
                {
                    break;
                }

                tokens.Add(token);
                Assert.True(tokens.Count < 200);
            }

            Assert.Matches("^SELECT col_[12]  from table_[12]  where col_[12] = [12] $", s_tokenizer.Decode(tokens));
        }
    }
}
