using System.Text;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// An answer whose tool calls are read out of its text once it is written: <c>tool_choice: "auto"</c> with a tool-call
/// parser (vLLM's <c>--enable-auto-tool-choice --tool-call-parser</c> with one of <see cref="ToolCallParsers"/>: calls
/// in the model's format, the text before them content) and <c>"required"</c> with several tools (the whole
/// answer a JSON array of calls, <see cref="RequiredToolCalls"/>). Calls found make the message's <c>tool_calls</c> and
/// the finish reason <c>tool_calls</c>. Streamed, content goes out as it comes up to where the format holds the text
/// back (the first call, or a tail that may begin one); the calls, or the held text as content if none read, go out
/// with the finish. One per request; per choice state; used by one request's thread.
/// </summary>
public sealed class AutoToolCalls
{
    private readonly ToolCallReader _reader;
    private readonly StringBuilder[] _text;
    private readonly int[] _sent;     // content characters streamed so far
    private readonly bool[] _called;

    private AutoToolCalls(int choices, ToolCallReader reader)
    {
        _reader = reader;
        _text = [.. Enumerable.Range(0, choices).Select(_ => new StringBuilder())];
        _sent = new int[choices];
        _called = new bool[choices];
    }

    /// <summary>tool_choice "auto": the calls <paramref name="reader"/> (the server's parser, <see cref="ToolCallParsers"/>) finds.</summary>
    public static AutoToolCalls Parsing(int choices, ToolCallReader reader) => new(choices, reader);

    /// <summary>tool_choice "required" with several tools: the answer is the calls, nothing streams before the end.</summary>
    public static AutoToolCalls Required(int choices) => new(choices, ToolCallReader.Required);

    /// <summary>A whole answer's message: content and calls, or the text as content when it holds no call.</summary>
    public ChatResponseMessage Message(int choice, string text)
    {
        var (content, calls) = _reader.Read(text);
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
        string all = _text[choice].Append(text).ToString();
        if (!last)
        {
            return new ChatDelta(null, Take(choice, all, _reader.HeldFrom(all)));
        }

        var (content, calls) = _reader.Read(all);
        _called[choice] = calls.Count > 0;
        if (calls.Count == 0)
        {
            return new ChatDelta(null, Take(choice, all, all.Length));
        }

        // The content before the calls, what of it the stream has not sent yet.
        return new ChatDelta(null, Take(choice, all, content?.Length ?? 0),
            [.. calls.Select((c, k) => new ChatToolCall(k, ChatToolCall.NewId(), "function", c))]);
    }

    /// <summary>The finish reason to send: <c>tool_calls</c> when the answer made calls and ended by itself (a cut one stays <c>length</c>).</summary>
    public string? Finish(int choice, string? finish) => finish == "stop" && _called[choice] ? "tool_calls" : finish;

    /// <summary>The content from what was sent up to <paramref name="end"/>, now sent.</summary>
    private string Take(int choice, string all, int end)
    {
        int from = _sent[choice];
        if (end <= from)
        {
            return string.Empty;
        }

        _sent[choice] = end;
        return all[from..end];
    }
}
