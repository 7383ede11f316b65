using System.Text.Json;
using MambaServe.Engine.Conversations;
using MambaServe.Engine.Generation;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi;
using MambaServe.Server.OpenAi.Responses;

namespace MambaServe.Server.Grpc;

/// <summary>
/// <c>previous_response_id</c> and <c>store</c> on Generate. Generate continues raw text: the new prompt follows the
/// text the previous response's state holds (its prompt and output, whichever API made it), so only the prompt is
/// prefilled after the pending token. A previous response stored without a state (it ended on a stop string) is
/// continued by prefilling its whole text from zero. The stored document is the same as the Responses API's, without
/// messages, so GET /v1/responses/{id} shows it too.
/// </summary>
public sealed class GenerateConversation
{
    private readonly string _contextBefore;
    private readonly string _inputText;

    private GenerateConversation(PreparedPrompt prompt, InitialState? start, int cached, string contextBefore, string inputText, PendingResponse? pending)
    {
        Prompt = prompt;
        Start = start;
        CachedTokens = cached;
        _contextBefore = contextBefore;
        _inputText = inputText;
        Pending = pending;
    }

    public PreparedPrompt Prompt { get; }

    /// <summary>The state to start from; owned by this object until handed to the engine.</summary>
    public InitialState? Start { get; }

    public int CachedTokens { get; }

    public PendingResponse? Pending { get; }

    /// <summary>Resolves the previous response and opens the store entry; <paramref name="input"/> is the request's own prompt.</summary>
    public static GenerateConversation Prepare(IServedModel model, GenerateRequest request, PreparedPrompt input, string owner)
    {
        bool store = request.HasStore && request.Store;
        if (!request.HasPreviousResponseId && !store)
        {
            return new GenerateConversation(input, null, 0, string.Empty, string.Empty, null);
        }

        var tokenizer = PromptBuilder.RequireTokenizer(model, "previous_response_id");
        var inputText = input.Text ?? tokenizer.Decode(input.Tokens);
        if (!request.HasPreviousResponseId)
        {
            return new GenerateConversation(input, null, 0, string.Empty, inputText, ResponseStore.Of(model).Begin(owner));
        }

        var (previous, state) = ResponseStore.Previous(model, request.PreviousResponseId, owner, "previous_response_id");
        try
        {
            List<int> tokens = state is null ? [.. tokenizer.Encode(previous.ContextText)] : [];
            if (state is not null && previous.PendingToken is { } pending)
            {
                tokens.Add(pending);
            }

            tokens.AddRange(input.Tokens);
            var prompt = PromptBuilder.FromTokens(model, tokens, "prompt") with { Text = inputText };
            var entry = store ? ResponseStore.Of(model).Begin(owner) : null;
            return new GenerateConversation(prompt, state, state is null ? 0 : previous.StateTokens, previous.ContextText, inputText, entry);
        }
        catch
        {
            state?.Release();
            throw;
        }
    }

    /// <summary>Stores the finished response (a stop or a length end); returns its id, or null when nothing was stored.</summary>
    public string? Commit(IServedModel model, GenerateRequest request, string output, FinishReason? finish, GenerationUsage usage)
    {
        if (Pending is null)
        {
            return null;
        }

        if (finish is not (FinishReason.Stop or FinishReason.Length))
        {
            Pending.Abandon();
            return null;
        }

        var created = DateTimeOffset.UtcNow;
        string status = finish == FinishReason.Stop ? "completed" : "incomplete";
        var message = new ResponseOutputMessage("msg_" + Pending.Id[ResponseIds.Prefix.Length..], status, [new ResponseOutputText(output)]);
        int input = CachedTokens + usage.PromptTokens, completionTokens = usage.CompletionTokens;
        var response = new ResponseObject(
            Pending.Id, created.ToUnixTimeSeconds(), status, null, status == "incomplete" ? new IncompleteDetails("max_output_tokens") : null,
            null, request.HasMaxTokens ? request.MaxTokens : null, model.Name, [message],
            request.HasPreviousResponseId ? request.PreviousResponseId : null, true,
            request.HasTemperature ? request.Temperature : 1f, request.HasTopP ? request.TopP : 1f,
            ResponseUsage.Of(input, CachedTokens + usage.CachedPromptTokens, completionTokens), null, new Dictionary<string, string>());
        int stateTokens = Pending.HasState ? input + completionTokens - 1 : 0;
        var document = new StoredConversation(
            JsonSerializer.SerializeToElement(response, OpenAiJson.Options), null, _contextBefore + _inputText + output, Pending.PendingToken, stateTokens);
        Pending.Commit(document.ToBytes(), created);
        return Pending.Id;
    }

    /// <summary>Releases what was never handed on (the request failed before or during generation).</summary>
    public void Abandon()
    {
        Pending?.Abandon();
    }
}
