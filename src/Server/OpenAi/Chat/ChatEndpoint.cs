using System.Text;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Telemetry;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>
/// POST /v1/chat/completions: messages rendered by the model's own <see cref="ModelChatTemplate"/> (or, for a model
/// without one, <see cref="DefaultChatTemplate"/>; see <see cref="ChatPrompt"/>), then generated like a completion.
/// </summary>
public static class ChatEndpoint
{
    public static async Task HandleAsync(HttpContext http, ApiServices api)
    {
        var ct = http.RequestAborted;
        var request = await OpenAiJson.ReadAsync<ChatRequest>(http.Request, ct);
        var model = api.Models.Require(request.Model);
        int? keep = PromptOptions.Keep(request.TruncatePromptTokens);
        PromptOptions.CheckAddSpecialTokens(model, request.AddSpecialTokens);
        string id = RequestIds.Create(http, "chatcmpl-", request.RequestId);
        string? salt = PromptOptions.CacheSalt(request.CacheSalt);
        StreamOptions.Check(request.StreamOptions);
        AllowedTools.NarrowChat(request);
        var (tool, autoTools, requiredTools) = ToolAnswerChoice.Decide(request, api.ServerOptions, ForcedToolCall.ChatOtherChoices);
        var text = ChatPrompt.Render(request, model, api.ServerOptions, tool, withTools: autoTools || requiredTools);
        var prompt = PromptOptions.Truncate(model, PromptBuilder.FromText(model, text, "messages"), keep);
        int n = api.CheckChoices(request.N, 1);
        var (sampling, mapper) = Sampling(request, prompt, model, api.ModelOptions);
        var promptMapper = PromptLogprobsMapper.For(model, sampling.PromptLogprobs);
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var constraint = requiredTools ? StructuredOutputMapper.MapRequiredTools(request.Tools!, request.ParallelToolCalls != false, request, model)
            : tool is null ? StructuredOutputMapper.Map(request, model)
            : StructuredOutputMapper.MapTool(tool, request, model);
        constraint = TokenRulesMapper.With(constraint, request, model);
        await using var run = await GenerationRun.StartAsync(
            api.RunContext(model, id, TelemetryNames.OperationChat), [prompt], sampling, n, ct, cacheSalt: salt, constraint: constraint);

        // The answer's shape: logprobs, vLLM's return_token_ids (the prompt's ids once, each choice's ids), a forced call.
        var answer = new ChatAnswer(mapper, request.ReturnTokenIds == true ? prompt.Tokens : null, tool)
        {
            CallIds = tool is null ? [] : [.. Enumerable.Range(0, n).Select(_ => ChatToolCall.NewId())],
            Auto = autoTools ? AutoToolCalls.Parsing(n, ToolCallParsers.Reader(api.ServerOptions, request.ParallelToolCalls != false)) : requiredTools ? AutoToolCalls.Required(n) : null,
        };
        if (request.Stream == true)
        {
            await ChatStreamer.StreamAsync(http, run, n, id, created, model.Name, request.StreamOptions, answer);
        }
        else
        {
            await RespondAsync(http, run, promptMapper, n, id, created, model.Name, answer);
        }
    }

    /// <summary>The sampling parameters (400s for bad token budgets or logprob requests) and, when asked, the logprob mapper.</summary>
    private static (SamplingParams Sampling, ChatLogprobsMapper? Mapper) Sampling(ChatRequest request, PreparedPrompt prompt, IServedModel model, ModelOptions limits)
    {
        int maxTokens = request.MaxCompletionTokens ?? request.MaxTokens ?? PromptBuilder.DefaultMaxTokens(prompt, limits);
        if (maxTokens < 1)
        {
            throw ApiException.BadRequest("max_tokens must be at least 1.", request.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens");
        }

        PromptBuilder.CheckLength(prompt, maxTokens, limits, "messages", request.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens");
        if (request.TopLogprobs is not null && request.Logprobs != true)
        {
            throw ApiException.BadRequest("top_logprobs requires logprobs to be true.", "top_logprobs");
        }

        int? logprobs = request.Logprobs == true ? request.TopLogprobs ?? 0 : null;
        if (logprobs is > SamplingParamsValidator.MaxLogprobs or < 0)
        {
            throw ApiException.BadRequest($"top_logprobs must be in [0, {SamplingParamsValidator.MaxLogprobs}].", "top_logprobs");
        }

        var sampling = SamplingMapper.Map(
            request, maxTokens, logprobs, PromptLogprobsMapper.Check(request.PromptLogprobs, request.Stream == true), model.SampleableVocab, request.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens");
        var mapper = logprobs is null ? null : new ChatLogprobsMapper(new TokenNames(model, request.ReturnTokensAsTokenIds == true));
        return (sampling, mapper);
    }

    private static async Task RespondAsync(
        HttpContext http, GenerationRun run, PromptLogprobsMapper? promptMapper, int n, string id, long created, string model, ChatAnswer answer)
    {
        var (mapper, promptIds) = (answer.Logprobs, answer.PromptIds);
        var texts = Enumerable.Range(0, n).Select(_ => new StringBuilder()).ToArray();
        var tokenIds = promptIds is null ? null : Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
        // vLLM puts the prompt's scores on the response, once: every choice shares the prompt.
        List<Dictionary<string, PromptLogprobEntry>?>? promptLogprobs = null;
        var logprobLists = Enumerable.Range(0, n).Select(_ => new List<ChatTokenLogprob>()).ToArray();
        var finishes = new string?[n];
        try
        {
            await foreach (var item in run.ReadAllAsync(http.RequestAborted))
            {
                texts[item.Choice].Append(item.Update.TextDelta);
                tokenIds?[item.Choice].AddRange(item.Update.TokenIds);
                if (promptMapper is not null && item.Update.PromptLogprobs is { } scored)
                {
                    promptLogprobs ??= promptMapper.Map(scored);
                }

                finishes[item.Choice] = FinishReasons.ToWire(item.Update.Finish) ?? finishes[item.Choice];
                if (mapper is not null)
                {
                    logprobLists[item.Choice].AddRange(mapper.Map(item.Update.Logprobs).Content);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            run.MarkFailed(ex);
            throw;
        }

        var choices = Enumerable.Range(0, n).Select(i => (Message: answer.Message(i, texts[i].ToString()), Index: i)).Select(m => new ChatChoice(
            m.Index, m.Message, mapper is null ? null : new ChatLogprobs(logprobLists[m.Index]), answer.Finish(m.Index, finishes[m.Index]), tokenIds?[m.Index])).ToList();
        await OpenAiJson.WriteAsync(
            http.Response, new ChatResponse(id, created, model, choices, UsageInfo.Final(run, run.CompletionTokens), promptLogprobs, promptIds));
    }
}
