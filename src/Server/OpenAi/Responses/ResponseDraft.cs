using System.Text;
using System.Text.Json;
using MambaServe.Engine.Conversations;
using MambaServe.Engine.Generation;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// One response while it is generated: what the request asked, the output text so far, and how it ended. Builds the
/// Response object at each stage (in progress, final) and, when the response is to be stored, commits it with the
/// conversation to the state store. Once the run has ended the text is read, once, into the output items by the
/// request's tool choice (<see cref="ResponseToolAnswer"/>): the message, the function calls, or both.
/// </summary>
public sealed class ResponseDraft(
    string id, ResponsesRequest request, string model, IReadOnlyDictionary<string, string> metadata, ConversationPlan plan, PendingResponse? pending,
    ResponseToolAnswer answer, ResponseLogprobs? logprobs)
{
    private readonly StringBuilder _text = new();
    // Fired by a steer: the engine ends the run at its next token, by length, with the state saved. No timer, so never disposed.
    private readonly CancellationTokenSource _wrapUp = new();
    private (string? Content, IReadOnlyList<ResponseFunctionCall> Calls)? _read;
    private volatile bool _updated;
    private int _committed;

    public string Id => id;

    /// <summary>The output budget: max_output_tokens, or the default; 0 for a warm-up.</summary>
    public int MaxTokens { get; init; }

    /// <summary>
    /// A warm-up (a WebSocket's <c>generate: false</c>): the input prefilled, its state saved, no output; it completes
    /// with no output items, and a response that continues it starts from its state.
    /// </summary>
    public bool WarmUp { get; init; }

    /// <summary>
    /// Whether a steer may end this response early (<see cref="WrapUp"/>): only free text, which is whole at any token.
    /// A function call, a structured format or a warm-up is left to end by itself, so its output stays whole.
    /// </summary>
    public bool EndsEarly { get; init; }

    /// <summary>What the run watches to wrap up (<see cref="GenerationRequest.WrapUp"/>).</summary>
    public CancellationToken WrapUpSignal => _wrapUp.Token;

    /// <summary>A steer arrived: a response that <see cref="EndsEarly"/> ends at its next token, incomplete (<c>steered</c>).</summary>
    public void WrapUp()
    {
        if (EndsEarly)
        {
            _wrapUp.Cancel();
        }
    }

    /// <summary>
    /// Where the engine saves the final state: null with store: false, except over a Responses WebSocket, whose latest
    /// unstored response is held for that socket alone (<see cref="ResponseSocketCache"/>).
    /// </summary>
    public IStateSink? Sink => pending;

    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

    public string MessageId { get; } = ResponseItemIds.OutputMessageOf(id);

    /// <summary>The item of a forced call, known before any text: a stream sends its arguments as they come.</summary>
    public ResponseFunctionCall? ForcedCall { get; } =
        answer.Forced is { } forced ? new ResponseFunctionCall(ResponseFunctionCall.NewId(), "in_progress", ChatToolCall.NewId(), forced.Name, string.Empty) : null;

    public ResponseToolAnswer Answer => answer;

    /// <summary>The output text's logprobs, when the request asked for them.</summary>
    public ResponseLogprobs? Logprobs => logprobs;

    public ConversationPlan Plan => plan;

    /// <summary>The conversation before the output, each item with its id (given here, once, so a background response lists the ids it stores).</summary>
    public IReadOnlyList<ConversationMessage> Conversation { get; } = [.. plan.Messages.Select(ResponseItemIds.Stamped)];

    /// <summary>Whether the client asked to store the response (store, default true): GET and continuation by anyone with its key.</summary>
    public bool Stored => request.Store != false;

    /// <summary>Whether the request asked for background mode (the response is polled with GET).</summary>
    public bool Background { get; } = request.Background is { ValueKind: JsonValueKind.True };

    public FinishReason? Finish { get; private set; }

    public string Text => _text.ToString();

    public void Append(GenerationUpdate update)
    {
        _text.Append(update.TextDelta);
        logprobs?.Add(update.Logprobs);
        Finish = update.Finish ?? Finish;
        _updated = true;
    }

    /// <summary>The response before any output: status in_progress, no usage.</summary>
    public ResponseObject InProgress() => Build("in_progress", [], null, null, null);

    /// <summary>A background response while it runs: queued until the engine's first update, then in_progress; no output yet.</summary>
    public ResponseObject Running() => Build(_updated ? "in_progress" : "queued", [], null, null, null);

    /// <summary>A background response cancelled by the client: what it had written, and its usage so far.</summary>
    public ResponseObject Cancelled(GenerationRun run) => Build("cancelled", Output("incomplete"), Usage(run), null, null);

    /// <summary>The finished response: completed on a stop, incomplete at max_output_tokens, when steered or when interrupted.</summary>
    public ResponseObject Completed(GenerationRun run)
    {
        if (WarmUp && Finish is FinishReason.Length)
        {
            return Build("completed", [], Usage(run), null, null);
        }

        var (status, incomplete) = Finish switch
        {
            FinishReason.Stop => ("completed", (IncompleteDetails?)null),
            // Wrapped up before its budget: the steer ended it, at a whole token, its state saved.
            FinishReason.Length when _wrapUp.IsCancellationRequested && run.CompletionTokens < MaxTokens => ("incomplete", new IncompleteDetails("steered")),
            FinishReason.Length => ("incomplete", new IncompleteDetails("max_output_tokens")),
            _ => ("incomplete", new IncompleteDetails("interrupted")),
        };
        return Build(status, Output(status), Usage(run), null, incomplete);
    }

    public ResponseObject Failed(GenerationRun run, ApiException error) =>
        Build("failed", Output("incomplete"), Usage(run), new ResponseError(error.Code ?? error.Type, error.Message), null);

    /// <summary>The message (when there is text, or no call) and then the calls, each with <paramref name="status"/>.</summary>
    public IReadOnlyList<ResponseItem> Output(string status)
    {
        if (WarmUp)
        {
            return [];
        }

        var (content, calls) = Read();
        var items = new List<ResponseItem>(calls.Count + 1);
        if (calls.Count == 0 || !string.IsNullOrEmpty(content))
        {
            items.Add(new ResponseOutputMessage(MessageId, status, [new ResponseOutputText(content ?? string.Empty) { Logprobs = logprobs?.All ?? [] }]));
        }

        items.AddRange(calls.Select(call => call with { Status = status }));
        return items;
    }

    /// <summary>
    /// Stores a finished response (ended by a stop or by length) with its state. Any other end (<paramref name="response"/>
    /// cancelled, failed or interrupted) drops the save, except in background mode, where GET is how the client learns
    /// the outcome: the response is then stored without a state.
    /// </summary>
    /// <remarks>
    /// A finished response created in a conversation (<see cref="ConversationPlan.Turn"/>) also appends its input and
    /// output there, stored or not; the conversation's next response starts from this one's state when it was stored
    /// with one.
    /// </remarks>
    public void Commit(ResponseObject response, GenerationRun run)
    {
        if (Interlocked.Exchange(ref _committed, 1) != 0)
        {
            return; // a streamed background response is committed by its streamer, then again by its runner
        }

        bool finished = (Finish is FinishReason.Stop or FinishReason.Length) && response.Status is not ("cancelled" or "failed");
        // Read before the commit takes the state. A conversation never heads to an unstored response a socket holds.
        bool withState = finished && pending is { HasState: true } && Stored;
        if (pending is not null)
        {
            Store(response, run, finished);
        }

        if (finished)
        {
            plan.Turn?.Append(Conversation, Reply(), withState ? id : null);
        }
    }

    private void Store(ResponseObject response, GenerationRun run, bool finished)
    {
        if (!finished && !Background)
        {
            pending!.Abandon();
            return;
        }

        var messages = WarmUp ? [.. Conversation] : new List<ConversationMessage>(Conversation) { Reply() };
        int inputTokens = plan.CachedTokens + run.PromptTokens;
        // The state holds the context less the last token sampled (pending, or a stop token); a warm-up's, its input.
        int stateTokens = !finished || !pending!.HasState ? 0 : WarmUp ? inputTokens : inputTokens + run.CompletionTokens - 1;
        var document = new StoredConversation(
            JsonSerializer.SerializeToElement(response, OpenAiJson.Options), messages, plan.RenderedText + Text, finished ? pending!.PendingToken : null, stateTokens);
        if (finished)
        {
            pending!.Commit(document.ToBytes(), CreatedAt);
        }
        else
        {
            pending!.CommitWithoutState(document.ToBytes(), CreatedAt);
        }
    }

    /// <summary>The output as the assistant's message of the conversation: its text and its calls, with their item ids.</summary>
    private ConversationMessage Reply()
    {
        var (content, calls) = Read();
        return new ConversationMessage("assistant", content ?? string.Empty,
            calls.Count == 0 ? null : [.. calls.Select(c => new ConversationToolCall(c.CallId, c.Name, c.Arguments, c.Id))], Id: MessageId);
    }

    /// <summary>Drops a save that was never committed (a failure or a disconnect); harmless after a commit.</summary>
    public void Abandon() => pending?.Abandon();

    /// <summary>The whole text read into message text and calls, once (the run has ended): the ids stay the same after.</summary>
    private (string? Content, IReadOnlyList<ResponseFunctionCall> Calls) Read()
    {
        if (_read is { } read)
        {
            return read;
        }

        var (content, calls) = answer.Read(Text);
        IReadOnlyList<ResponseFunctionCall> items = ForcedCall is { } forced
            ? [forced with { Arguments = calls[0].Arguments }]
            : [.. calls.Select(c => new ResponseFunctionCall(ResponseFunctionCall.NewId(), "completed", ChatToolCall.NewId(), c.Name!, c.Arguments))];
        _read = (content, items);
        return _read.Value;
    }

    private ResponseUsage Usage(GenerationRun run) =>
        ResponseUsage.Of(plan.CachedTokens + run.PromptTokens, plan.CachedTokens + run.CachedPromptTokens, run.CompletionTokens);

    private ResponseObject Build(string status, IReadOnlyList<ResponseItem> output, ResponseUsage? usage, ResponseError? error, IncompleteDetails? incomplete) =>
        new(id, CreatedAt.ToUnixTimeSeconds(), status, error, incomplete, request.Instructions, request.MaxOutputTokens, model, output,
            request.PreviousResponseId, Stored, request.Temperature ?? 1f, request.TopP ?? 1f, usage, request.User, metadata)
        {
            Text = new ResponseTextConfig(ResponseTextFormat.Of(request.Text)),
            Tools = request.Tools is { ValueKind: JsonValueKind.Array } tools ? tools : Array.Empty<object>(),
            ToolChoice = request.ToolChoice is { ValueKind: not JsonValueKind.Null } choice ? choice : "auto",
            ParallelToolCalls = request.ParallelToolCalls is not { ValueKind: JsonValueKind.False },
            Background = Background,
            Conversation = plan.Turn is { } turn ? new ResponseConversationRef(turn.Id) : null,
        };
}
