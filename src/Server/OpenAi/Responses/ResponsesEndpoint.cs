using System.Text.Json;
using MambaServe.Engine.Conversations;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Telemetry;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// POST /v1/responses, GET /v1/responses/{id}, GET /v1/responses/{id}/input_items, DELETE /v1/responses/{id}: OpenAI's Responses API for text and function
/// calls, with <c>previous_response_id</c> continuing from the recurrent state saved at the end of that response
/// (docs/server.md).
/// </summary>
public static class ResponsesEndpoint
{
    public static async Task CreateAsync(HttpContext http, ApiServices api)
    {
        var ct = http.RequestAborted;
        var request = await OpenAiJson.ReadAsync<ResponsesRequest>(http.Request, ct);
        var model = api.Models.Require(request.Model);
        var store = ResponseStore.Of(model);
        PromptBuilder.RequireTokenizer(model, "input");
        ResponseOptionsCheck.Validate(request);
        var input = ResponseInputParser.Parse(request.Input);
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
        string owner = ConversationOwner.Of(http.Request.Headers.Authorization, api.ServerOptions);
        var plan = Plan(model, request, input, owner, answer.MayCall ? ChatPrompt.ToolsForTemplate(tools.Functions) : null);
        var constraint = Constraint(request, tools, answer, model, plan);
        var draft = Start(model, request, metadata, plan, store, owner, api.ModelOptions, answer, ResponseLogprobs.For(logprobs, model));
        GenerationRun run;
        try
        {
            run = await GenerationRun.StartAsync(
                api.RunContext(model, draft.Id, TelemetryNames.OperationChat), [plan.Prompt], Sampling(request, draft, logprobs), 1, ct,
                plan.Start, draft.Sink, constraint: constraint);
        }
        catch
        {
            draft.Abandon();
            throw;
        }

        await using (run)
        {
            try
            {
                await (request.Stream == true ? ResponseStreamer.StreamAsync(http, run, draft) : RespondAsync(http, run, draft));
            }
            finally
            {
                draft.Abandon();
            }
        }
    }

    public static async Task GetAsync(HttpContext http, string id, ApiServices api)
    {
        var model = api.Models.Require();
        var document = ResponseStore.Get(model, id, ConversationOwner.Of(http.Request.Headers.Authorization, api.ServerOptions));
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(document.Response, OpenAiJson.Options), http.RequestAborted);
    }

    /// <summary>GET /v1/responses/{id}/input_items: the items the response was generated from, a page at a time.</summary>
    public static async Task GetInputItemsAsync(HttpContext http, string id, ApiServices api)
    {
        var query = ResponseItemQuery.Read(http.Request.Query);
        var model = api.Models.Require();
        var document = ResponseStore.Get(model, id, ConversationOwner.Of(http.Request.Headers.Authorization, api.ServerOptions));
        await OpenAiJson.WriteAsync(http.Response, query.Page(ResponseInputItems.Of(document, id)));
    }

    public static async Task DeleteAsync(HttpContext http, string id, ApiServices api)
    {
        var model = api.Models.Require();
        if (!ResponseStore.Of(model).Delete(id, ConversationOwner.Of(http.Request.Headers.Authorization, api.ServerOptions)))
        {
            throw ResponseStore.NotFound($"Response with id '{id}' not found.", null);
        }

        await OpenAiJson.WriteAsync(http.Response, new ResponseDeleted(id));
    }

    private static ConversationPlan Plan(IServedModel model, ResponsesRequest request, List<ConversationMessage> input, string owner, JsonElement? tools)
    {
        if (request.PreviousResponseId is not { } previousId)
        {
            return ConversationPlanner.Plan(model, request.Instructions, input, null, null, tools);
        }

        var (previous, state) = ResponseStore.Previous(model, previousId, owner, "previous_response_id");
        if (previous.Messages is null)
        {
            state?.Release();
            throw ApiException.BadRequest(
                $"The response '{previousId}' was made by the gRPC Generate call, which continues raw text; continue it there.", "previous_response_id");
        }

        return ConversationPlanner.Plan(model, request.Instructions, input, previous, state, tools);
    }

    /// <summary>
    /// What holds the output: a forced call's parameters schema, the calls' grammar for required with several tools,
    /// else the text format. A structured text format beside a forced call is a 400 (one format per answer). On a
    /// refusal the plan's start state is released.
    /// </summary>
    private static ITokenConstraintFactory? Constraint(ResponsesRequest request, ResponseTools tools, ResponseToolAnswer answer, IServedModel model, ConversationPlan plan)
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
        ConversationStore store, string owner, ModelOptions limits, ResponseToolAnswer answer, ResponseLogprobs? logprobs)
    {
        try
        {
            int maxTokens = request.MaxOutputTokens ?? PromptBuilder.DefaultMaxTokens(plan.Prompt, limits);
            PromptBuilder.CheckLength(plan.Prompt, maxTokens, limits, "input", "max_output_tokens");
            var pending = request.Store != false ? store.Begin(owner) : null;
            return new ResponseDraft(pending?.Id ?? ResponseIds.New(), request, model.Name, metadata, plan, pending, answer, logprobs) { MaxTokens = maxTokens };
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
