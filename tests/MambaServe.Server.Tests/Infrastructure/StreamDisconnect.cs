using System.Text;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>A streaming completion whose client goes away after the first update, as a closed browser tab does.</summary>
public static class StreamDisconnect
{
    /// <summary>
    /// Starts a streaming completion against <paramref name="engine"/> (which must hold after its first update),
    /// waits for that update, then cancels and drops the connection; returns once the engine saw the abort.
    /// </summary>
    public static async Task StartThenDisconnectAsync(HttpClient client, FakeEngine engine)
    {
        using var cts = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"prompt":"Hello","max_tokens":5,"stream":true}""", Encoding.UTF8, "application/json"),
        };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var stream = await response.Content.ReadAsStreamAsync(cts.Token);
        await engine.FirstUpdateSent;
        await cts.CancelAsync();
        response.Dispose();
        await engine.Aborted.WaitAsync(TimeSpan.FromMinutes(1));
        await stream.DisposeAsync();
    }
}
