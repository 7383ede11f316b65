using System.Text;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// <c>tool_choice: "auto"</c> with a tool-call parser (vLLM's <c>--enable-auto-tool-choice --tool-call-parser
/// hermes</c>): the model answers freely, and the calls it writes in the Hermes format (<see cref="HermesToolCalls"/>)
/// become the message's <c>tool_calls</c>, the text before them its content, and the finish reason
/// <c>tool_calls</c>. Streamed, content goes out as it comes, except a tail that may begin <c>&lt;tool_call&gt;</c>;
/// from the first call on the text is held, and the calls (or, if they do not read, the held text as content) go out
/// with the finish. One per request; per choice state; used by one request's thread.
/// </summary>
public sealed class AutoToolCalls(int choices)
{
    private readonly StringBuilder[] _text = [.. Enumerable.Range(0, choices).Select(_ => new StringBuilder())];
    private readonly int[] _sent = new int[choices];       // content characters streamed so far
    private readonly bool[] _holding = new bool[choices];  // a call has begun: nothing more streams until the end
    private readonly bool[] _called = new bool[choices];

    /// <summary>A whole answer's message: content and calls, or the text as content when it holds no call.</summary>
    public ChatResponseMessage Message(int choice, string text)
    {
        var (content, calls) = HermesToolCalls.Parse(text);
        _called[choice] = calls.Count > 0;
        return calls.Count == 0
            ? new ChatResponseMessage(text)
            : new ChatResponseMessage(content, [.. calls.Select(c => new ChatToolCall(null, ChatToolCall.NewId(), "function", c))]);
    }

    /// <summary>
    /// The delta a stream sends for <paramref name="text"/>: the content that can go out now, and with the
    /// <paramref name="last"/> update the rest: the calls, or the held text as content.
    /// </summary>
    public ChatDelta Delta(int choice, string text, bool last)
    {
        var all = _text[choice].Append(text);
        if (!_holding[choice])
        {
            int open = all.ToString().IndexOf(HermesToolCalls.Open, _sent[choice], StringComparison.Ordinal);
            _holding[choice] = open >= 0;
        }

        if (last)
        {
            var (_, calls) = HermesToolCalls.Parse(all.ToString());
            _called[choice] = calls.Count > 0;
            if (calls.Count > 0)
            {
                // The content before the first call went out already (the stream sends up to it and holds from it).
                return new ChatDelta(null, Take(choice, all.ToString().IndexOf(HermesToolCalls.Open, StringComparison.Ordinal)),
                    [.. calls.Select((c, k) => new ChatToolCall(k, ChatToolCall.NewId(), "function", c))]);
            }

            return new ChatDelta(null, Take(choice, all.Length));
        }

        string soFar = all.ToString();
        int safe = _holding[choice]
            ? soFar.IndexOf(HermesToolCalls.Open, StringComparison.Ordinal)
            : soFar.Length - HermesToolCalls.PartialOpenAtEnd(soFar);
        return new ChatDelta(null, Take(choice, safe));
    }

    /// <summary>The finish reason to send: <c>tool_calls</c> when the answer made calls.</summary>
    public string? Finish(int choice, string? finish) => finish is not null && _called[choice] ? "tool_calls" : finish;

    /// <summary>The content from what was sent up to <paramref name="end"/>, now sent.</summary>
    private string Take(int choice, int end)
    {
        int from = _sent[choice];
        if (end <= from)
        {
            return string.Empty;
        }

        _sent[choice] = end;
        return _text[choice].ToString(from, end - from);
    }
}
