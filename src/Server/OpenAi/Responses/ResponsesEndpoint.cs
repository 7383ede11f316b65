using System.Text.Json;
using MambaServe.Engine.Conversations;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Telemetry;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.OpenAi.Conversations;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// POST /v1/responses, GET /v1/responses/{id}, GET /v1/responses/{id}/input_items, POST /v1/responses/{id}/cancel,
/// DELETE /v1/responses/{id}: OpenAI's Responses API for text and function
/// calls, with <c>previous_response_id</c> continuing from the recurrent state saved at the end of that response
/// (docs/server.md).
/// </summary>
public static class ResponsesEndpoint
{
    public static async Task CreateAsync(HttpContext http, ApiServices api, BackgroundResponses background)
    {
        var ct = http.RequestAborted;
        var request = await OpenAiJson.ReadAsync<ResponsesRequest>(http.Request, ct);
        string owner = api.OwnerOf(http);
        var (run, draft, cancellation) = await StartAsync(request, api, owner, background, ct);
        if (cancellation is not null)
        {
            // Streamed, the events go to a log the run writes whoever reads it: this request follows it from the start.
            var log = request.Stream == true ? new ResponseEventLog() : null;
            var created = background.Start(run, draft, owner, cancellation, log);
            if (log is null)
            {
                await OpenAiJson.WriteAsync(http.Response, created);
                return;
            }

            var sse = new SseWriter(http.Response);
            await sse.StartAsync();
            await log.FollowAsync(sse, -1, ct);
            return;
        }

        await using (run)
        {
            try
            {
                await (request.Stream == true ? StreamAsync(http, run, draft) : RespondAsync(http, run, draft));
            }
            finally
            {
                draft.Abandon();
            }
        }
    }

    /// <summary>
    /// Checks a Responses request, plans its prompt and starts its run: what POST /v1/responses and the WebSocket route
    /// (<see cref="ResponsesSocketSession"/>) share. A background run gets its own cancellation (returned), since only a
    /// cancel or a delete stops it; any other run stops with <paramref name="ct"/>. <paramref name="local"/> is the
    /// socket's cache of its latest unstored response, when the request came over one; <paramref name="warmUp"/> a
    /// socket's <c>generate: false</c>: the input is prefilled and its state saved, and nothing is generated.
    /// </summary>
    internal static async Task<(GenerationRun Run, ResponseDraft Draft, CancellationTokenSource? Cancellation)> StartAsync(
        ResponsesRequest request, ApiServices api, string owner, BackgroundResponses background, CancellationToken ct, ResponseSocketCache? local = null,
        bool warmUp = false)
    {
        var model = api.Models.Require(request.Model);
        var store = ResponseStore.Of(model);
        PromptBuilder.RequireTokenizer(model, "input");
        ResponseOptionsCheck.Validate(request);
        string? conversation = ConversationTurn.IdOf(request);
        if (warmUp && conversation is not null)
        {
            throw ApiException.BadRequest("generate: false warms up a previous_response_id chain; it cannot be used with conversation.", "generate");
        }

        // A warm-up may hold only instructions (and tools): its input can be left out.
        var input = warmUp && request.Input is null ? [] : ResponseInputParser.Parse(request.Input, references: ResponseItemReferences.For(model, owner, local));
        if (warmUp && input.Count == 0 && request.Instructions is null && request.PreviousResponseId is null)
        {
            throw ApiException.BadRequest("generate: false prefills the request's input and instructions: send at least one of them.", "input");
        }

        var metadata = ResponseMetadata.Validate(request.Metadata);
        foreach (var (text, param) in new[] { (request.Instructions, "instructions"), (request.User, "user") })
        {
            if (text is not null && !Utf16Text.IsValid(text))
            {
                throw ApiException.BadRequest($"{param} is not valid Unicode text (a lone surrogate).", param);
            }
        }

        if (request.MaxOutputTokens is < 1)
        {
            throw ApiException.BadRequest("max_output_tokens must be at least 1.", "max_output_tokens");
        }

        var tools = ResponseTools.Parse(request);
        var answer = ResponseToolAnswer.For(tools, api.ServerOptions);
        int? logprobs = ResponseLogprobs.Asked(request, answer);
        var plan = Plan(model, request, conversation, input, owner, tools, answer, background, local, warmUp);
        var constraint = warmUp ? null : Constraint(request, tools, answer, model, plan);
        var draft = Start(model, request, metadata, plan, store, owner, api.ModelOptions, answer, ResponseLogprobs.For(logprobs, model), local, warmUp,
            endsEarly: constraint is null && !answer.MayCall && !warmUp);
        // A background run is not the request's: only a cancel or a delete stops it, not the client going away.
        var cancellation = draft.Background ? BackgroundResponses.NewCancellation() : null;
        GenerationRun run;
        try
        {
            run = await GenerationRun.StartAsync(
                api.RunContext(model, draft.Id, TelemetryNames.OperationChat), [plan.Prompt], Sampling(request, draft, logprobs), 1,
                cancellation?.Token ?? ct, plan.Start, draft.Sink, constraint: constraint, wrapUp: draft.WrapUpSignal);
        }
        catch
        {
            draft.Abandon();
            throw;
        }

        return (run, draft, cancellation);
    }

    /// <summary>
    /// GET /v1/responses/{id}: a running background response as it stands, else the stored response as it was
    /// answered. With <c>stream=true</c>, a streamed background response's events after <c>starting_after</c> (all
    /// when left out), then the new ones until it ends (<see cref="ResponseEventLog"/>).
    /// </summary>
    public static async Task GetAsync(HttpContext http, string id, ApiServices api, BackgroundResponses background)
    {
        var resume = ResponseResumeQuery.Read(http.Request.Query);
        var model = api.Models.Require();
        string owner = api.OwnerOf(http);
        var running = background.Find(id, owner);
        if (resume is { } after)
        {
            var log = running?.Events ?? throw ResumeRefused(model, id, owner, running);
            if (!log.Keeps(after))
            {
                throw ApiException.BadRequest(
                    $"The events up to starting_after={after} are no longer kept (the last {ResponseEventLog.MaxKept} are): follow from a later one, or GET without stream.",
                    "starting_after");
            }

            var sse = new SseWriter(http.Response);
            await sse.StartAsync();
            await log.FollowAsync(sse, after, http.RequestAborted);
            return;
        }

        if (running is not null)
        {
            await OpenAiJson.WriteAsync(http.Response, running.Current());
            return;
        }

        var document = ResponseStore.Get(model, id, owner);
        await WriteStoredAsync(http, document);
    }

    /// <summary>GET /v1/responses/{id}/input_items: the items the response was generated from, a page at a time.</summary>
    public static async Task GetInputItemsAsync(HttpContext http, string id, ApiServices api, BackgroundResponses background)
    {
        var query = ResponseItemQuery.Read(http.Request.Query);
        var model = api.Models.Require();
        string owner = api.OwnerOf(http);
        var items = background.Find(id, owner) is { } running
            ? ResponseInputItems.Of(running.Draft.Conversation, id)
            : ResponseInputItems.Of(ResponseStore.Get(model, id, owner), id);
        await OpenAiJson.WriteAsync(http.Response, query.Page(items));
    }

    /// <summary>
    /// POST /v1/responses/{id}/cancel: stops a running background response and answers it cancelled (or as it ended,
    /// when it ended first); a background response that has ended is answered as it is, so a second cancel is harmless.
    /// A response that was not made in background mode cannot be cancelled: 400.
    /// </summary>
    public static async Task CancelAsync(HttpContext http, string id, ApiServices api, BackgroundResponses background)
    {
        var model = api.Models.Require();
        string owner = api.OwnerOf(http);
        if (background.Find(id, owner) is { } running)
        {
            await running.CancelAsync();
            await running.WaitAsync(http.RequestAborted);
            await OpenAiJson.WriteAsync(http.Response, running.Current());
            return;
        }

        var document = ResponseStore.Get(model, id, owner);
        if (!document.Response.TryGetProperty("background", out var made) || made.ValueKind != JsonValueKind.True)
        {
            throw ApiException.BadRequest($"The response '{id}' was not created with background: true; only background responses can be cancelled.", null);
        }

        await WriteStoredAsync(http, document);
    }

    /// <summary>DELETE /v1/responses/{id}: a running background response is stopped and nothing of it is kept.</summary>
    public static async Task DeleteAsync(HttpContext http, string id, ApiServices api, BackgroundResponses background)
    {
        var model = api.Models.Require();
        string owner = api.OwnerOf(http);
        var running = background.Find(id, owner);
        if (running is not null)
        {
            await running.DeleteAsync();
            await running.WaitAsync(http.RequestAborted);
        }

        // The run may have stored its outcome just before the delete stopped it.
        if (!ResponseStore.Delete(model, id, owner) && running is null)
        {
            throw ResponseStore.NotFound($"Response with id '{id}' not found.");
        }

        await OpenAiJson.WriteAsync(http.Response, new ResponseDeleted(id));
    }

    /// <summary>Why a stream cannot be followed: no such response (404), one that ran without stream, or one that has ended (400).</summary>
    private static ApiException ResumeRefused(IServedModel model, string id, string owner, BackgroundResponse? running)
    {
        if (running is not null)
        {
            return ApiException.BadRequest($"The background response '{id}' was not created with stream: true; GET it without stream.", "stream");
        }

        ResponseStore.Get(model, id, owner); // 404 when there is no such response
        return ApiException.BadRequest(
            $"The response '{id}' is not running: only a background response created with stream: true can be followed while it runs. GET it without stream.", "stream");
    }

    private static async Task WriteStoredAsync(HttpContext http, StoredConversation document)
    {
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(document.Response, OpenAiJson.Options), http.RequestAborted);
    }

    /// <summary>
    /// The request's prompt: in its conversation, after its previous response, or alone. The chat template is shown the
    /// tools only when the answer may call one; POST /v1/responses and the input-token count both plan here, so the
    /// count is the prompt the response would read.
    /// </summary>
    internal static ConversationPlan Plan(
        IServedModel model, ResponsesRequest request, string? conversation, List<ConversationMessage> input, string owner, ResponseTools responseTools,
        ResponseToolAnswer answer, BackgroundResponses background, ResponseSocketCache? local = null, bool warmUp = false)
    {
        JsonElement? tools = answer.MayCall ? ChatPrompt.ToolsForTemplate(responseTools.Functions) : null;
        if (conversation is not null)
        {
            return ConversationTurn.Plan(model, conversation, request.Instructions, input, owner, tools);
        }

        if (request.PreviousResponseId is not { } previousId)
        {
            return ConversationPlanner.Plan(model, request.Instructions, input, null, null, tools, warmUp);
        }

        if (background.Find(previousId, owner) is not null)
        {
            throw ApiException.BadRequest(
                $"The background response '{previousId}' is still running: continue it once GET shows it completed.", "previous_response_id");
        }

        var (previous, state) = ResponseStore.Previous(model, previousId, local?.OwnerOf(previousId) ?? owner, "previous_response_id");
        if (previous.Messages is null)
        {
            state?.Release();
            throw ApiException.BadRequest(
                $"The response '{previousId}' was made by the gRPC Generate call, which continues raw text; continue it there.", "previous_response_id");
        }

        return ConversationPlanner.Plan(model, request.Instructions, input, previous, state, tools, warmUp);
    }

    /// <summary>
    /// What holds the output: a forced call's parameters schema, the calls' grammar for required with several tools,
    /// else the text format. A structured text format beside a forced call is a 400 (one format per answer). On a
    /// refusal the plan's start state is released.
    /// </summary>
    internal static ITokenConstraintFactory? Constraint(ResponsesRequest request, ResponseTools tools, ResponseToolAnswer answer, IServedModel model, ConversationPlan plan)
    {
        try
        {
            var text = StructuredOutputMapper.MapResponsesText(request.Text, model);
            if (answer.Forced is null && !answer.RequiredOfSeveral)
            {
                return text;
            }

            if (text is not null)
            {
                throw ApiException.BadRequest("text.format must be `text` when tool_choice makes the model call a function: the call's arguments follow its parameters schema.", "text.format");
            }

            var chat = tools.AsChat();
            return answer.Forced is { } forced
                ? StructuredOutputMapper.MapTool(forced, chat, model, "parameters")
                : StructuredOutputMapper.MapRequiredTools(tools.Functions, tools.Parallel, chat, model, "parameters");
        }
        catch
        {
            plan.Start?.Release();
            throw;
        }
    }

    /// <summary>Checks the output budget and opens the store entry; on a refusal the plan's start state is released.</summary>
    private static ResponseDraft Start(
        IServedModel model, ResponsesRequest request, IReadOnlyDictionary<string, string> metadata, ConversationPlan plan,
        ConversationStore store, string owner, ModelOptions limits, ResponseToolAnswer answer, ResponseLogprobs? logprobs, ResponseSocketCache? local,
        bool warmUp, bool endsEarly)
    {
        try
        {
            int maxTokens = warmUp ? 0 : request.MaxOutputTokens ?? PromptBuilder.DefaultMaxTokens(plan.NewTokens, limits);
            PromptBuilder.CheckLength(plan.NewTokens, maxTokens, limits, "input", "max_output_tokens");
            // store: false over a socket is still held, in memory and for that socket only, so that it can be continued there.
            var pending = request.Store != false ? store.Begin(owner) : local is not null ? store.Begin(local.Owner, memoryOnly: true) : null;
            return new ResponseDraft(pending?.Id ?? ResponseIds.New(), request, model.Name, metadata, plan, pending, answer, logprobs) { MaxTokens = maxTokens, WarmUp = warmUp, EndsEarly = endsEarly };
        }
        catch
        {
            plan.Start?.Release();
            throw;
        }
    }

    private static SamplingParams Sampling(ResponsesRequest request, ResponseDraft draft, int? logprobs)
    {
        try
        {
            var defaults = new SamplingParams();
            var sampling = new SamplingParams
            {
                Temperature = request.Temperature ?? defaults.Temperature,
                TopP = request.TopP ?? defaults.TopP,
                MaxTokens = draft.MaxTokens,
                Logprobs = logprobs,
            };
            SamplingParamsValidator.Validate(sampling);
            return sampling;
        }
        catch
        {
            draft.Plan.Start?.Release();
            throw;
        }
    }

    private static async Task StreamAsync(HttpContext http, GenerationRun run, ResponseDraft draft)
    {
        var events = new ResponseEventWriter(http.Response);
        await events.StartAsync();
        await ResponseStreamer.StreamAsync(events, run, draft, http.RequestAborted);
    }

    private static async Task RespondAsync(HttpContext http, GenerationRun run, ResponseDraft draft)
    {
        try
        {
            await foreach (var item in run.ReadAllAsync(http.RequestAborted))
            {
                draft.Append(item.Update);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            run.MarkFailed(ex);
            throw;
        }

        var response = draft.Completed(run);
        draft.Commit(response, run);
        await OpenAiJson.WriteAsync(http.Response, response);
    }
}
