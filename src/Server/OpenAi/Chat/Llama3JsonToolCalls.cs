using System.Text;
using System.Text.Json;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// The Llama 3 JSON tool-call format (vLLM's <c>llama3_json</c> parser): an answer that opens with a JSON object,
/// after <c>&lt;|python_tag|&gt;</c> when the tokenizer writes special tokens out, is one call
/// <c>{"name": ..., "parameters": {...}}</c> (or <c>"arguments"</c>), or several joined by <c>;</c>. An answer that
/// opens with anything else is content, as in vLLM's streaming reader; so is one whose objects are not all calls
/// (a JSON answer the user asked for has no <c>name</c>). Text after the last call is dropped, as vLLM drops it.
/// </summary>
public static class Llama3JsonToolCalls
{
    public const string PythonTag = "<|python_tag|>";

    /// <summary>The calls of a whole answer (its content null), or none and the text as content.</summary>
    public static (string? Content, IReadOnlyList<ChatFunctionCall> Calls) Parse(string text)
    {
        int start = CallsStart(text);
        if (start < 0 || start >= text.Length || text[start] != '{')
        {
            return (text, []);
        }

        var bytes = Encoding.UTF8.GetBytes(text[start..]);
        var calls = new List<ChatFunctionCall>();
        int at = 0;
        while (true)
        {
            int end = ObjectEnd(bytes, at);
            if (end < 0 || ToolCallObject.Read(bytes.AsMemory(at, end - at)) is not { } call)
            {
                return (text, []);
            }

            calls.Add(call);
            int next = SkipWhitespace(bytes, end);
            if (next >= bytes.Length || bytes[next] != (byte)';')
            {
                return (null, calls);
            }

            at = SkipWhitespace(bytes, next + 1);
        }
    }

    /// <summary>
    /// Where a stream holds the answer back: all of it while it may still open with a call (blank so far, a part of
    /// the tag, the tag, or a <c>{</c> first), none of it once it opened with other text.
    /// </summary>
    public static int HeldFrom(string text) => CallsFirstAnswer.HeldFrom(text, '{', PythonTag);

    /// <summary>The index the first object would start at: past leading blanks and the tag; -1 when nothing is there.</summary>
    private static int CallsStart(string text)
    {
        var rest = text.AsSpan().TrimStart();
        if (rest.StartsWith(PythonTag, StringComparison.Ordinal))
        {
            rest = rest[PythonTag.Length..].TrimStart();
        }

        return rest.IsEmpty ? -1 : text.Length - rest.Length;
    }

    /// <summary>Where the JSON value at <paramref name="start"/> ends (exclusive), or -1 when it is not whole.</summary>
    private static int ObjectEnd(byte[] bytes, int start)
    {
        if (start >= bytes.Length || bytes[start] != (byte)'{')
        {
            return -1;
        }

        try
        {
            // Only the first value is read, so what follows it (a `;` and the next call) is never looked at here.
            var reader = new Utf8JsonReader(bytes.AsSpan(start));
            reader.Read();
            reader.Skip();
            return start + (int)reader.BytesConsumed;
        }
        catch (JsonException)
        {
            return -1;
        }
    }

    private static int SkipWhitespace(byte[] bytes, int at)
    {
        while (at < bytes.Length && bytes[at] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            at++;
        }

        return at;
    }
}
