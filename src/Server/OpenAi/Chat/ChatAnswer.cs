namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// How a chat run's updates become the answer: the logprob mapper (when asked), the prompt's ids (vLLM's
/// return_token_ids), and the forced tool call (the text is then its arguments, sent as a tool call, not content).
/// </summary>
public sealed record ChatAnswer(ChatLogprobsMapper? Logprobs, IReadOnlyList<int>? PromptIds, ForcedToolCall? Tool)
{
    /// <summary>One call id per choice, made when the answer starts.</summary>
    public IReadOnlyList<string> CallIds { get; init; } = [];

    /// <summary>The message of a whole answer: its text as content, or as the forced call's arguments.</summary>
    public ChatResponseMessage Message(int choice, string text) => Tool is null
        ? new ChatResponseMessage(text)
        : new ChatResponseMessage(null, [new ChatToolCall(null, CallIds[choice], "function", new ChatFunctionCall(Tool.Name, text))]);

    /// <summary>A stream chunk's delta: the text as content, or as arguments of the call (its id and name with the first).</summary>
    public ChatDelta Delta(int choice, string text, bool first) => Tool is null
        ? new ChatDelta(null, text)
        : new ChatDelta(null, null, [first
            ? new ChatToolCall(0, CallIds[choice], "function", new ChatFunctionCall(Tool.Name, text))
            : new ChatToolCall(0, null, null, new ChatFunctionCall(null, text))]);
}
