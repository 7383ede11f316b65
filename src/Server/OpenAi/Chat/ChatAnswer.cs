namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// How a chat run's updates become the answer: the logprob mapper (when asked), the prompt's ids (vLLM's
/// return_token_ids), the forced tool call (the text is then its arguments, sent as a tool call, not content), or
/// the calls an auto tool choice finds in the text (<see cref="AutoToolCalls"/>).
/// </summary>
public sealed record ChatAnswer(ChatLogprobsMapper? Logprobs, IReadOnlyList<int>? PromptIds, ForcedToolCall? Tool)
{
    /// <summary>One call id per choice, made when the answer starts.</summary>
    public IReadOnlyList<string> CallIds { get; init; } = [];

    /// <summary>tool_choice "auto" with the tool-call parser on: the calls are read out of the text.</summary>
    public AutoToolCalls? Auto { get; init; }

    /// <summary>The message of a whole answer: its text as content, as the forced call's arguments, or read for calls.</summary>
    public ChatResponseMessage Message(int choice, string text) => (Tool, Auto) switch
    {
        (not null, _) => new ChatResponseMessage(null, [new ChatToolCall(null, CallIds[choice], "function", new ChatFunctionCall(Tool.Name, text))]),
        (_, not null) => Auto.Message(choice, text),
        _ => new ChatResponseMessage(text),
    };

    /// <summary>
    /// A stream chunk's delta: the text as content, as arguments of the call (its id and name with the first), or what
    /// an auto tool choice can send so far (everything that is left, with the <paramref name="last"/> update).
    /// </summary>
    public ChatDelta Delta(int choice, string text, bool first, bool last) => (Tool, Auto) switch
    {
        (not null, _) => new ChatDelta(null, null, [first
            ? new ChatToolCall(0, CallIds[choice], "function", new ChatFunctionCall(Tool.Name, text))
            : new ChatToolCall(0, null, null, new ChatFunctionCall(null, text))]),
        (_, not null) => Auto.Delta(choice, text, last),
        _ => new ChatDelta(null, text),
    };

    /// <summary>
    /// The finish reason on the wire: <c>tool_calls</c> when an answer that ended by itself made calls the model chose
    /// (auto, required), <c>stop</c> for a call forced by name (OpenAI's answers).
    /// </summary>
    public string? Finish(int choice, string? finish) =>
        Auto?.Finish(choice, finish) ?? (Tool is { Required: true } && finish == "stop" ? "tool_calls" : finish);
}
