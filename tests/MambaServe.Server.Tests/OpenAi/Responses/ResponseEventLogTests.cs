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

        var http = new DefaultHttpContext();
        var body = new MemoryStream();
        http.Response.Body = body;
        var following = log.FollowAsync(new SseWriter(http.Response), 0, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(following.IsCompleted);
        await log.WriteAsync(s => new ResponseTextDeltaEvent("response.output_text.delta", s, "msg_1", 0, 0, $"d{s}"));
        log.End();
        await following.WaitAsync(TimeSpan.FromSeconds(10));

        var text = System.Text.Encoding.UTF8.GetString(body.ToArray());
        Assert.Equal(["d1", "d2", "d3"], System.Text.RegularExpressions.Regex.Matches(text, "\"delta\":\"(d\\d)\"").Select(m => m.Groups[1].Value));
    }
}
