using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MambaServe.Engine.Conversations;
using MambaServe.Engine.Generation;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// One response while it is generated: what the request asked, the output text so far, and how it ended. Builds the
/// Response object at each stage (in progress, final) and, when the response is to be stored, commits it with the
/// conversation to the state store.
/// </summary>
public sealed class ResponseDraft(
    string id, ResponsesRequest request, string model, IReadOnlyDictionary<string, string> metadata, ConversationPlan plan, PendingResponse? pending)
{
    private readonly StringBuilder _text = new();

    public string Id => id;

    /// <summary>The output budget: max_output_tokens, or the default.</summary>
    public int MaxTokens { get; init; }

    /// <summary>Where the engine saves the final state (null with store: false).</summary>
    public IStateSink? Sink => pending;

    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

    public string MessageId { get; } = "msg_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    public ConversationPlan Plan => plan;

    public FinishReason? Finish { get; private set; }

    public string Text => _text.ToString();

    public void Append(GenerationUpdate update)
    {
        _text.Append(update.TextDelta);
        Finish = update.Finish ?? Finish;
    }

    /// <summary>The response before any output: status in_progress, no usage.</summary>
    public ResponseObject InProgress() => Build("in_progress", [], null, null, null);

    /// <summary>The finished response: completed on a stop, incomplete at max_output_tokens or when interrupted.</summary>
    public ResponseObject Completed(GenerationRun run)
    {
        var (status, incomplete) = Finish switch
        {
            FinishReason.Stop => ("completed", (IncompleteDetails?)null),
            FinishReason.Length => ("incomplete", new IncompleteDetails("max_output_tokens")),
            _ => ("incomplete", new IncompleteDetails("interrupted")),
        };
        return Build(status, [OutputMessage(status)], Usage(run), null, incomplete);
    }

    public ResponseObject Failed(GenerationRun run, ApiException error) =>
        Build("failed", [OutputMessage("incomplete")], Usage(run), new ResponseError(error.Code ?? error.Type, error.Message), null);

    public ResponseOutputMessage OutputMessage(string status) => new(MessageId, status, [new ResponseOutputText(Text)]);

    /// <summary>Stores a finished response (ended by a stop or by length) with its state; any other end drops the save.</summary>
    public void Commit(ResponseObject response, GenerationRun run)
    {
        if (pending is null)
        {
            return;
        }

        if (Finish is not (FinishReason.Stop or FinishReason.Length))
        {
            pending.Abandon();
            return;
        }

        var text = Text;
        var messages = new List<ConversationMessage>(plan.Messages) { new("assistant", text) };
        int inputTokens = plan.CachedTokens + run.PromptTokens;
        int stateTokens = pending.HasState ? inputTokens + run.CompletionTokens - 1 : 0;
        var document = new StoredConversation(
            JsonSerializer.SerializeToElement(response, OpenAiJson.Options), messages, plan.RenderedText + text, pending.PendingToken, stateTokens);
        pending.Commit(document.ToBytes(), CreatedAt);
    }

    /// <summary>Drops a save that was never committed (a failure or a disconnect); harmless after a commit.</summary>
    public void Abandon() => pending?.Abandon();

    private ResponseUsage Usage(GenerationRun run) =>
        ResponseUsage.Of(plan.CachedTokens + run.PromptTokens, plan.CachedTokens, run.CompletionTokens);

    private ResponseObject Build(string status, IReadOnlyList<ResponseOutputMessage> output, ResponseUsage? usage, ResponseError? error, IncompleteDetails? incomplete) =>
        new(id, CreatedAt.ToUnixTimeSeconds(), status, error, incomplete, request.Instructions, request.MaxOutputTokens, model, output,
            request.PreviousResponseId, pending is not null, request.Temperature ?? 1f, request.TopP ?? 1f, usage, request.User, metadata)
        {
            Text = new ResponseTextConfig(ResponseTextFormat.Of(request.Text)),
        };
}
