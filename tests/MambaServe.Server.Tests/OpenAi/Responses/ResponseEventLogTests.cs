using MambaServe.Server.OpenAi;
using MambaServe.Server.OpenAi.Responses;
using Microsoft.AspNetCore.Http;

namespace MambaServe.Server.Tests.OpenAi.Responses;

/// <summary>The event log of a streamed background response: a follower gets the events after its cursor, then new ones, and ends with the log.</summary>
public sealed class ResponseEventLogTests
{
    [Fact]
    public async Task Follow_SendsTheEventsAfterTheCursor_WaitsForNewOnes_AndEndsWithTheLog()
    {
        var log = new ResponseEventLog();
        for (int i = 0; i < 3; i++)
        {
            await log.WriteAsync(s => new ResponseTextDeltaEvent("response.output_text.delta", s, "msg_1", 0, 0, $"d{s}"));
        }

        var body = new MemoryStream();
        var following = log.FollowAsync(Writer(body), 0, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(following.IsCompleted);
        await log.WriteAsync(s => new ResponseTextDeltaEvent("response.output_text.delta", s, "msg_1", 0, 0, $"d{s}"));
        log.End();
        await following.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["d1", "d2", "d3"], Deltas(body));
    }

    /// <summary>A long response keeps only its last events: a cursor before them is refused, a follower that far behind stops.</summary>
    [Fact]
    public async Task Log_KeepsOnlyTheLastEvents_AndAFollowerBehindThemStops()
    {
        var log = new ResponseEventLog(maxKept: 8);
        for (int i = 0; i < 40; i++)
        {
            await log.WriteAsync(s => new ResponseTextDeltaEvent("response.output_text.delta", s, "msg_1", 0, 0, $"d{s}"));
        }

        log.End();
        var (behind, recent) = (new MemoryStream(), new MemoryStream());
        await log.FollowAsync(Writer(behind), -1, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        await log.FollowAsync(Writer(recent), 35, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(log.Keeps(0));
        Assert.True(log.Keeps(35));
        Assert.Empty(Deltas(behind));
        Assert.Equal(["d36", "d37", "d38", "d39"], Deltas(recent));
    }

    private static SseWriter Writer(MemoryStream body)
    {
        var http = new DefaultHttpContext();
        http.Response.Body = body;
        return new SseWriter(http.Response);
    }

    private static IEnumerable<string> Deltas(MemoryStream body) =>
        System.Text.RegularExpressions.Regex.Matches(System.Text.Encoding.UTF8.GetString(body.ToArray()), "\"delta\":\"(d\\d+)\"").Select(m => m.Groups[1].Value);
}
