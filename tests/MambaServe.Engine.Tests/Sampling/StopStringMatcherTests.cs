using MambaServe.Engine.Sampling;

namespace MambaServe.Engine.Tests.Sampling;

public sealed class StopStringMatcherTests
{
    [Fact]
    public void Push_StopSplitAcrossDeltas_StopsAndCutsBeforeIt()
    {
        var matcher = new StopStringMatcher(["\n\n"]);

        var first = matcher.Push("Hello\n");
        var second = matcher.Push("\nWorld");

        Assert.Equal(("Hello", false), first);
        Assert.Equal((string.Empty, true), second);
        Assert.Equal(string.Empty, matcher.Flush());
    }

    [Fact]
    public void Push_StopInsideOneDelta_EmitsTextBeforeIt()
    {
        var matcher = new StopStringMatcher(["END", "###"]);

        Assert.Equal(("abc", false), matcher.Push("abc"));
        Assert.Equal((" x ", true), matcher.Push(" x ###y END"));
        Assert.Equal((string.Empty, true), matcher.Push("more"));
    }

    [Fact]
    public void Push_IncludeStopSplitAcrossDeltas_EndsRightAfterTheStopString()
    {
        var matcher = new StopStringMatcher(["\n\n"], includeStop: true);

        var first = matcher.Push("Hello\n");
        var second = matcher.Push("\nWorld");

        Assert.Equal(("Hello", false), first);
        Assert.Equal(("\n\n", true), second);
        Assert.Equal((string.Empty, true), matcher.Push("more"));
        Assert.Equal(string.Empty, matcher.Flush());
    }

    [Fact]
    public void Push_IncludeStopInsideOneDelta_KeepsTheEarliestStopAndDropsWhatFollows()
    {
        var matcher = new StopStringMatcher(["END", "###"], includeStop: true);

        Assert.Equal(("abc", false), matcher.Push("abc"));
        Assert.Equal((" x ###", true), matcher.Push(" x ###y END"));
    }

    [Fact]
    public void Push_IncludeStopBeginningInMinTokensText_KeepsItWhole()
    {
        var matcher = new StopStringMatcher(["STOP"], includeStop: true);

        Assert.Equal(("a", false), matcher.Push("aST", mayStop: false));
        Assert.Equal(("STOP", true), matcher.Push("OPb"));
    }

    [Fact]
    public void Push_PartialPrefixThenDivergence_ReleasesHeldText()
    {
        var matcher = new StopStringMatcher(["STOP"]);

        Assert.Equal(("a", false), matcher.Push("aST"));
        Assert.Equal(("STart", false), matcher.Push("art"));
    }

    [Fact]
    public void Push_MayStopFalse_WholeStopStringPassesUnmatched()
    {
        var matcher = new StopStringMatcher(["END"]);

        Assert.Equal(("a END b", false), matcher.Push("a END b", mayStop: false));
        Assert.Equal((" c", false), matcher.Push(" c"));
        Assert.Equal((" d", true), matcher.Push(" dEND"));
    }

    [Fact]
    public void Push_StopBeginsInUnmatchableTextAndEndsLater_CutsWhereItBegins()
    {
        var matcher = new StopStringMatcher(["END"]);

        Assert.Equal(("xx ", false), matcher.Push("xx EN", mayStop: false));
        Assert.Equal((string.Empty, true), matcher.Push("D!"));
    }

    [Fact]
    public void Push_HeldTailHoldsAWholeStopFromUnmatchableText_OnlyALaterEndMatches()
    {
        // "xab" is held (a prefix of "xabz") and contains the whole of "ab"; that "ab" ended in unmatchable text.
        var matcher = new StopStringMatcher(["ab", "xabz"]);

        Assert.Equal(("q", false), matcher.Push("qxab", mayStop: false));
        Assert.Equal(("xab!", false), matcher.Push("!"));
        Assert.Equal(("1", true), matcher.Push("1ab"));
    }

    [Fact]
    public void Flush_HeldPartialPrefix_ReleasedAtEnd()
    {
        var matcher = new StopStringMatcher(["</answer>"]);

        var emitted = matcher.Push("42 </ans");

        Assert.Equal(("42 ", false), emitted);
        Assert.Equal("</ans", matcher.Flush());
    }

    [Fact]
    public void Push_RandomDeltaSplits_SameResultAsWholeText()
    {
        var random = new Random(Environment.TickCount);
        string[] stops = ["\n\n", "User:", "ab"];
        for (var trial = 0; trial < 200; trial++)
        {
            var text = new string(Enumerable.Range(0, random.Next(1, 30)).Select(_ => "aUbser:\n x"[random.Next(10)]).ToArray());
            var firstStop = stops.Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
            var expected = firstStop >= 0 ? text[..firstStop] : text;
            var matcher = new StopStringMatcher(stops);

            var output = "";
            var stopped = false;
            for (var at = 0; at < text.Length && !stopped;)
            {
                var length = Math.Min(random.Next(1, 5), text.Length - at);
                var (emit, s) = matcher.Push(text.Substring(at, length));
                output += emit;
                stopped = s;
                at += length;
            }
            output += matcher.Flush();

            Assert.Equal(expected, output);
            Assert.Equal(firstStop >= 0, stopped);
        }
    }

    [Fact]
    public void Push_NoStops_PassesThrough()
    {
        var matcher = new StopStringMatcher([]);

        Assert.Equal(("any\n\ntext", false), matcher.Push("any\n\ntext"));
        Assert.Equal(string.Empty, matcher.Flush());
    }
}
