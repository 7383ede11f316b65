using System.Text;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Telemetry;
using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Completions;

/// <summary>POST /v1/completions: one text_completion object, or SSE chunks when stream is true.</summary>
public static class CompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext http, ApiServices api)
    {
        var ct = http.RequestAborted;
        var request = await OpenAiJson.ReadAsync<CompletionRequest>(http.Request, ct);
        var model = api.Models.Require(request.Model);
        string id = RequestIds.Create(http, "cmpl-", request.RequestId);
        string? salt = PromptOptions.CacheSalt(request.CacheSalt);
        StreamOptions.Check(request.StreamOptions);
        var plan = Plan(request, model, api);
        var constraint = TokenRulesMapper.With(StructuredOutputMapper.Map(request, model), request, model);
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await using var run = await GenerationRun.StartAsync(
            api.RunContext(model, id, TelemetryNames.OperationTextCompletion), plan.Prompts, plan.Sampling, plan.N, ct, cacheSalt: salt, constraint: constraint);

        if (request.Stream == true)
        {
            await StreamAsync(http, run, plan, id, created, model.Name, request.StreamOptions);
        }
        else
        {
            await RespondAsync(http, run, plan, id, created, model.Name);
        }
    }

    /// <summary>Validates the request against the model and limits (400s) and sets up one state per choice.</summary>
    private static CompletionPlan Plan(CompletionRequest request, IServedModel model, ApiServices api)
    {
        int? keep = PromptOptions.Keep(request.TruncatePromptTokens);
        PromptOptions.CheckAddSpecialTokens(model, request.AddSpecialTokens);
        // vLLM truncates before its length check: a long prompt cut to its last k tokens is served.
        var prompts = CompletionPrompts.Parse(request.Prompt, model).Select(p => PromptOptions.Truncate(model, p, keep)).ToList();
        int n = api.CheckChoices(request.N, prompts.Count);
        int maxTokens = request.MaxTokens ?? 16;
        if (maxTokens < 0)
        {
            throw ApiException.BadRequest("max_tokens must be >= 0.", "max_tokens");
        }

        foreach (var prompt in prompts)
        {
            PromptBuilder.CheckLength(prompt, maxTokens, api.ModelOptions, "prompt");
        }

        bool echo = request.Echo == true;
        int? promptTop = PromptLogprobsMapper.Check(request.PromptLogprobs, request.Stream == true);
        int? echoTop = echo ? request.Logprobs : null;
        var sampling = SamplingMapper.Map(request, maxTokens, request.Logprobs, PromptLogprobsMapper.EngineTop(echoTop, promptTop), model.SampleableVocab);
        var names = request.Logprobs is null ? null : new TokenNames(model, request.ReturnTokensAsTokenIds == true);
        var promptMapper = PromptLogprobsMapper.For(model, promptTop);
        var choices = new CompletionChoiceState[prompts.Count * n];
        var builders = new CompletionLogprobsBuilder?[choices.Length];
        for (int c = 0; c < choices.Length; c++)
        {
            choices[c] = new CompletionChoiceState(prompts[c / n], echo, names, echoTop ?? 0, promptMapper);
            builders[c] = names is null ? null : new CompletionLogprobsBuilder(names) { Streaming = request.Stream == true };
        }

        return new CompletionPlan(prompts, n, sampling, choices, builders, request.ReturnTokenIds == true);
    }

    private static async Task RespondAsync(HttpContext http, GenerationRun run, CompletionPlan plan, string id, long created, string model)
    {
        var (choices, builders) = (plan.Choices, plan.Builders);
        var texts = choices.Select(_ => new StringBuilder()).ToArray();
        var tokenIds = plan.ReturnTokenIds ? choices.Select(_ => new List<int>()).ToArray() : null;
        var promptLogprobs = new List<Dictionary<string, PromptLogprobEntry>?>?[choices.Length];
        try
        {
            await foreach (var item in run.ReadAllAsync(http.RequestAborted))
            {
                var (text, _, prompt) = choices[item.Choice].Apply(item.Update, builders[item.Choice]);
                texts[item.Choice].Append(text);
                tokenIds?[item.Choice].AddRange(item.Update.TokenIds);
                promptLogprobs[item.Choice] ??= prompt;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            run.MarkFailed(ex);
            throw;
        }

        var result = choices.Select((c, i) => new CompletionChoice(
            i, texts[i].ToString(), builders[i]?.Result, c.FinishReason, promptLogprobs[i], plan.PromptTokenIds(i), tokenIds?[i])).ToList();
        var usage = UsageInfo.Final(run, choices.Sum(c => c.CompletionTokens));
        await OpenAiJson.WriteAsync(http.Response, new CompletionResponse(id, created, model, result, usage));
    }

    private sealed record CompletionPlan(
        IReadOnlyList<PreparedPrompt> Prompts, int N, SamplingParams Sampling, CompletionChoiceState[] Choices, CompletionLogprobsBuilder?[] Builders,
        bool ReturnTokenIds)
    {
        /// <summary>vLLM's return_token_ids: choice <paramref name="choice"/>'s prompt ids (null when not asked).</summary>
        public IReadOnlyList<int>? PromptTokenIds(int choice) => ReturnTokenIds ? Prompts[choice / N].Tokens : null;
    }

    private static async Task StreamAsync(HttpContext http, GenerationRun run, CompletionPlan plan, string id, long created, string model, StreamOptions? options)
    {
        var (choices, builders) = (plan.Choices, plan.Builders);
        var sentPromptIds = new bool[choices.Length];
        bool continuousUsage = StreamOptions.ContinuousUsage(options);
        var sse = new SseWriter(http.Response);
        await sse.StartAsync();
        try
        {
            await foreach (var item in run.ReadAllAsync(http.RequestAborted))
            {
                var state = choices[item.Choice];
                // No prompt_logprobs in a stream (PromptLogprobsMapper.Check).
                var (text, logprobs, _) = state.Apply(item.Update, builders[item.Choice]);
                // A token whose text is not complete yet (part of a UTF-8 sequence) still goes out when its id is asked for.
                bool newIds = plan.ReturnTokenIds && item.Update.TokenIds.Count > 0;
                if (text.Length == 0 && item.Update.Finish is null && (logprobs is null || logprobs.Tokens.Count == 0) && !newIds)
                {
                    continue;
                }

                var finish = item.Update.Finish is null ? null : state.FinishReason;
                var usage = continuousUsage ? new UsageInfo(state.PromptTokens, state.CompletionTokens) : null;
                var promptIds = sentPromptIds[item.Choice] ? null : plan.PromptTokenIds(item.Choice);
                sentPromptIds[item.Choice] = true;
                var choice = new CompletionChoice(
                    item.Choice, text, logprobs, finish, PromptTokenIds: promptIds, TokenIds: plan.ReturnTokenIds ? item.Update.TokenIds : null);
                await sse.WriteAsync(new CompletionResponse(id, created, model, [choice], usage));
            }
        }
        catch (Exception ex) when (!http.RequestAborted.IsCancellationRequested)
        {
            run.MarkFailed(ex);
            await sse.WriteErrorAsync(ex);
            return;
        }

        if (StreamOptions.FinalUsage(options))
        {
            var usage = UsageInfo.Final(run, choices.Sum(c => c.CompletionTokens));
            await sse.WriteAsync(new CompletionResponse(id, created, model, [], usage));
        }

        await sse.WriteDoneAsync();
    }
}
