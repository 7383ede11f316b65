using System.Text;
using System.Text.Json;

namespace MambaServe.Server.OpenAi;

/// <summary>Server-sent events as OpenAI streams them: <c>data: &lt;json&gt;\n\n</c> per chunk, flushed at once, then <c>data: [DONE]</c>.</summary>
public sealed class SseWriter(HttpResponse response)
{
    private static readonly byte[] s_prefix = "data: "u8.ToArray();
    private static readonly byte[] s_suffix = "\n\n"u8.ToArray();
    private static readonly byte[] s_done = "data: [DONE]\n\n"u8.ToArray();

    public async Task StartAsync()
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        // Proxies such as nginx buffer responses unless told not to; tokens must reach the client as produced.
        response.Headers["X-Accel-Buffering"] = "no";
        await response.StartAsync(response.HttpContext.RequestAborted);
    }

    public async Task WriteAsync<T>(T chunk)
    {
        var ct = response.HttpContext.RequestAborted;
        await response.Body.WriteAsync(s_prefix, ct);
        await response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(chunk, OpenAiJson.Options), ct);
        await response.Body.WriteAsync(s_suffix, ct);
        await response.Body.FlushAsync(ct);
    }

    /// <summary>A named event, as the Responses and Anthropic streams send them: <c>event: &lt;type&gt;</c>, then its JSON as data.</summary>
    public Task WriteEventAsync<T>(string type, T value) => WriteFrameAsync(EventFrame(type, value));

    /// <summary>The bytes of a named event, to send now or keep for a client that reconnects.</summary>
    public static byte[] EventFrame<T>(string type, T value) =>
        [.. Encoding.UTF8.GetBytes($"event: {type}\n"), .. s_prefix, .. JsonSerializer.SerializeToUtf8Bytes(value, OpenAiJson.Options), .. s_suffix];

    /// <summary>Sends an event made by <see cref="EventFrame"/>, flushed at once.</summary>
    public async Task WriteFrameAsync(byte[] frame)
    {
        var ct = response.HttpContext.RequestAborted;
        await response.Body.WriteAsync(frame, ct);
        await response.Body.FlushAsync(ct);
    }

    /// <summary>A failure after the 200 was sent: the error body as one event, then the end marker (as vLLM does).</summary>
    public async Task WriteErrorAsync(Exception ex)
    {
        await WriteAsync(ErrorBody.From(ApiErrors.From(ex)));
        await WriteDoneAsync();
    }

    public async Task WriteDoneAsync()
    {
        var ct = response.HttpContext.RequestAborted;
        await response.Body.WriteAsync(s_done, ct);
        await response.Body.FlushAsync(ct);
    }
}
