namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// The Hermes tool-call format (Hermes 2 Pro, Qwen 2.5 and the templates that copied them), as vLLM's <c>hermes</c>
/// parser reads it: each call is <c>&lt;tool_call&gt;{"name": ..., "arguments": {...}}&lt;/tool_call&gt;</c> (the last
/// may be left open), and the text before the first call is the message's content. If any call fails to read (not
/// JSON, no name), nothing is a call: the whole text is content, as vLLM answers then.
/// </summary>
public static class HermesToolCalls
{
    public const string Open = "<tool_call>";
    public const string Close = "</tool_call>";

    /// <summary>The content (null when empty) and the calls of a whole answer; no calls: the text is content as it is.</summary>
    public static (string? Content, IReadOnlyList<ChatFunctionCall> Calls) Parse(string text)
    {
        int first = text.IndexOf(Open, StringComparison.Ordinal);
        if (first < 0)
        {
            return (text, []);
        }

        var calls = new List<ChatFunctionCall>();
        for (int at = first; at >= 0 && at < text.Length;)
        {
            int body = at + Open.Length;
            int end = text.IndexOf(Close, body, StringComparison.Ordinal);
            string json = end < 0 ? text[body..] : text[body..end];
            if (ToolCallObject.Read(json) is not { } call)
            {
                return (text, []);
            }

            calls.Add(call);
            if (end < 0)
            {
                break;
            }

            // Between calls only whitespace (or another call) is expected; other text is not a call and is dropped, as vLLM's regex drops it.
            at = text.IndexOf(Open, end + Close.Length, StringComparison.Ordinal);
        }

        string content = text[..first];
        return (content.Length > 0 ? content : null, calls);
    }

    /// <summary>Where a stream holds <paramref name="text"/> back: at the first call, else at a tail that may begin one.</summary>
    public static int HeldFrom(string text)
    {
        int open = text.IndexOf(Open, StringComparison.Ordinal);
        return open >= 0 ? open : text.Length - PartialOpenAtEnd(text);
    }

    /// <summary>How much of <paramref name="text"/>'s end may be the start of <see cref="Open"/>: held back from a stream until known.</summary>
    public static int PartialOpenAtEnd(string text)
    {
        for (int n = Math.Min(Open.Length - 1, text.Length); n > 0; n--)
        {
            if (text.AsSpan(text.Length - n).SequenceEqual(Open.AsSpan(0, n)))
            {
                return n;
            }
        }

        return 0;
    }
}
