using System.Text;
using System.Text.RegularExpressions;
using MambaServe.Engine.Structured;

namespace MambaServe.Engine.Tests.Structured;

/// <summary>The regex grammar against .NET's own Regex (ECMAScript mode: ASCII \d \w \s, as ours) on random texts.</summary>
public sealed class RegexGrammarStateTests
{
    [Theory]
    [InlineData(@"\d{3}-\d{4}")]
    [InlineData(@"(cat|dog)s?")]
    [InlineData(@"[A-Z][a-z]+( [A-Z][a-z]+)*")]
    [InlineData(@"a.b")]
    [InlineData(@"[^abc]+")]
    [InlineData(@"(?:ab|a)*c")]
    [InlineData(@"x{2,4}y{1,}z{0}")]
    [InlineData(@"[\w.]+@\w+\.com")]
    [InlineData(@"é+ñ?\x41")]
    [InlineData(@"^(yes|no)$")]
    [InlineData(@"(?P<n>\d+)(\.\d+)?")]
    [InlineData(@"[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?")]
    [InlineData(@"\s*[\]\[{}]+\S")]
    public void Feed_RandomTexts_WholeMatchAgreesWithDotNetRegex(string pattern)
    {
        var program = RegexParser.Parse(pattern);
        var dotnet = new Regex(@"^(?:" + pattern.TrimStart('^').TrimEnd('$').Replace("?P<", "?<", StringComparison.Ordinal) + @")$(?![\s\S])", RegexOptions.ECMAScript);
        var alphabet = pattern.Where(c => !"\\()[]{}|*+?^$".Contains(c)).Concat("abcxyz019 -.@é\nZ").Distinct().ToArray();
        var rng = new Random(pattern.Length * 7919);
        for (int n = 0; n < 4000; n++)
        {
            var text = new string(Enumerable.Range(0, rng.Next(0, 9)).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
            bool ours = RegexGrammarState.Start(program).Feed(Encoding.UTF8.GetBytes(text), out var end) && end.IsComplete;
            bool theirs = dotnet.IsMatch(text);
            Assert.True(ours == theirs, $"`{text}`: ours {ours}, .NET {theirs}");
        }

        // Prefixes of matching texts stay viable.
        foreach (var text in Samples(dotnet, alphabet, rng).Take(50))
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            for (int i = 0; i <= bytes.Length; i++)
            {
                Assert.True(RegexGrammarState.Start(program).Feed(bytes.AsSpan(0, i), out _), $"prefix {i} of `{text}`");
            }
        }
    }

    [Fact]
    public void Feed_TheLeadByteOfACharacterThePatternCannotRead_RefusedAtOnce()
    {
        var start = RegexGrammarState.Start(RegexParser.Parse("é+"));

        Assert.True(start.Feed(0xC3, out var lead));
        Assert.False(start.Feed(0xC4, out _));   // Ā..ſ: none of them is é
        Assert.False(start.Feed((byte)'e', out _));
        Assert.True(lead.Feed(0xA9, out var whole));
        Assert.True(whole.IsComplete);
        Assert.False(lead.IsComplete);
    }

    [Theory]
    [InlineData(@"(a)\1", "backreferences")]
    [InlineData(@"(?=a)b", "lookaround")]
    [InlineData(@"\bword", @"`\b`")]
    [InlineData(@"a++", "possessive")]
    [InlineData(@"a**", "a quantifier after a quantifier")]
    [InlineData(@"(?i)abc", "lookaround, flags")]
    [InlineData(@"\p{L}", @"`\p`")]
    [InlineData(@"a^b", "`^` inside the pattern")]
    [InlineData(@"(ab", "an unclosed `(`")]
    [InlineData(@"[ab", "an unclosed `[`")]
    [InlineData(@"a{5,2}", "the repetition {5,2}")]
    [InlineData(@"a{1001}", "at most 1000")]
    [InlineData(@"[z-a]", "end comes before its start")]
    [InlineData(@"ab)", "an unmatched `)`")]
    [InlineData(@"*a", "nothing to repeat")]
    public void Parse_WhatTheGrammarDoesNotTake_RefusedSayingWhat(string pattern, string what)
    {
        var error = Assert.Throws<RegexNotSupportedException>(() => RegexParser.Parse(pattern));

        Assert.Contains(what, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Feed_APatternThatNeedsMillionsOfStates_StopsAtTheBudgetWithAClearError()
    {
        var state = RegexGrammarState.Start(RegexParser.Parse("(a|b)*a(a|b){20}"));
        var rng = new Random(3);

        var error = Assert.Throws<RegexNotSupportedException>(() =>
        {
            for (int i = 0; i < 1_000_000; i++)
            {
                state.Feed(rng.Next(2) == 0 ? (byte)'a' : (byte)'b', out state);
            }
        });

        Assert.Contains($"more than {RegexProgram.MaxDfaStates} automaton states", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PatternsPastTheLimits_Refused()
    {
        Assert.Throws<RegexNotSupportedException>(() => RegexParser.Parse(new string('a', RegexParser.MaxLength + 1)));
        Assert.Contains("states", Assert.Throws<RegexNotSupportedException>(() => RegexParser.Parse("(a{1000}){1000}")).Message, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Samples(Regex regex, char[] alphabet, Random rng)
    {
        for (int n = 0; n < 200_000; n++)
        {
            var text = new string(Enumerable.Range(0, rng.Next(1, 10)).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
            if (regex.IsMatch(text))
            {
                yield return text;
            }
        }
    }
}
