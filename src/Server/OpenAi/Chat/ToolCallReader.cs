namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// How an answer's calls are read out of its text: <see cref="Read"/> gives a whole answer's content (null: none)
/// and calls (none: the text is content as it is), <see cref="HeldFrom"/> where a stream stops sending content for
/// now, since the text from there may still be (part of) a call. Shared by the chat endpoint and /v1/responses.
/// </summary>
public sealed record ToolCallReader(
    Func<string, (string? Content, IReadOnlyList<ChatFunctionCall> Calls)> Read, Func<string, int> HeldFrom)
{
    /// <summary>A plain text answer: all content, nothing held.</summary>
    public static readonly ToolCallReader Text = new(text => (text, []), text => text.Length);

    /// <summary>tool_choice "required" with several tools: the answer is the calls, nothing streams before the end.</summary>
    public static readonly ToolCallReader Required = new(RequiredToolCalls.Parse, _ => 0);

    /// <summary>A forced call of <paramref name="name"/>: the whole text is its arguments.</summary>
    public static ToolCallReader Forced(string name) => new(text => (null, [new ChatFunctionCall(name, text)]), _ => 0);
}
