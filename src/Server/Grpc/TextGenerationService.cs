using global::Grpc.Core;
using MambaServe.Engine.Generation;
using MambaServe.Engine.Sampling;
using MambaServe.Engine.Telemetry;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi;

namespace MambaServe.Server.Grpc;

/// <summary>mambaserve.v1.TextGeneration: the same engine path as REST completions, one response per engine update.</summary>
public sealed class TextGenerationService(ApiServices api) : TextGeneration.TextGenerationBase
{
    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        var model = api.Models.Require(request.Model);
        string? salt = PromptOptions.CacheSalt(request.HasCacheSalt ? request.CacheSalt : null);
        int? keep = PromptOptions.Keep(request.HasTruncatePromptTokens ? request.TruncatePromptTokens : null);
        if (keep is not null && request.HasPreviousResponseId)
        {
            throw ApiException.BadRequest(
                "truncate_prompt_tokens cannot be combined with previous_response_id: the saved state holds the earlier context.",
                PromptOptions.TruncateParam);
        }

        var prompt = PromptOptions.Truncate(model, request.InputCase switch
        {
            GenerateRequest.InputOneofCase.Prompt => PromptBuilder.FromText(model, request.Prompt, "prompt"),
            GenerateRequest.InputOneofCase.PromptTokenIds => PromptBuilder.FromTokens(model, request.PromptTokenIds.Ids, "prompt_token_ids"),
            _ => throw ApiException.BadRequest("Set prompt or prompt_token_ids.", "prompt"),
        }, keep);
        int maxTokens = request.HasMaxTokens ? request.MaxTokens : 16;
        if (maxTokens < 1)
        {
            throw ApiException.BadRequest("max_tokens must be at least 1.", "max_tokens");
        }

        PromptBuilder.CheckLength(prompt, maxTokens, api.ModelOptions, "prompt");
        var sampling = Sampling(request, maxTokens);
        if (request.LogitBias.Keys.FirstOrDefault(id => id >= model.SampleableVocab, -1) is >= 0 and var outside)
        {
            throw ApiException.BadRequest($"logit_bias key {outside} is not a token id of this model (0..{model.SampleableVocab - 1}).", "logit_bias");
        }

        var constraint = StructuredOutputMapper.Map(
            request.HasJsonObject && request.JsonObject, request.HasJsonSchema ? request.JsonSchema : null, request.HasRegex ? request.Regex : null,
            request.HasGrammar ? request.Grammar : null, request.Choice, sampling.IgnoreEos, sampling.MinTokens, model);
        constraint = TokenRulesMapper.With(
            constraint, request.AllowedTokenIds.Count > 0 ? request.AllowedTokenIds : null, request.BadWords.Count > 0 ? request.BadWords : null, model);
        var conversation = GenerateConversation.Prepare(model, request, prompt, ConversationOwner.Of(context.RequestHeaders.GetValue("authorization"), api.ServerOptions));
        try
        {
            await RunAsync(model, request, sampling, conversation, (salt, constraint), responseStream, context);
        }
        finally
        {
            conversation.Abandon();
        }
    }

    private async Task RunAsync(
        IServedModel model, GenerateRequest request, SamplingParams sampling, GenerateConversation conversation,
        (string? CacheSalt, ITokenConstraintFactory? Constraint) extras, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        string id = conversation.Pending?.Id ?? $"grpc-{Guid.NewGuid():N}";
        await using var run = await GenerationRun.StartAsync(
            api.RunContext(model, id, TelemetryNames.OperationTextCompletion), [conversation.Prompt], sampling, 1, context.CancellationToken,
            conversation.Start, conversation.Pending, extras.CacheSalt, extras.Constraint);
        var text = conversation.Pending is null ? null : new System.Text.StringBuilder();
        try
        {
            await foreach (var item in run.ReadAllAsync(context.CancellationToken))
            {
                var update = item.Update;
                text?.Append(update.TextDelta);
                var response = new GenerateResponse { Text = update.TextDelta };
                response.TokenIds.AddRange(update.TokenIds);
                response.Logprobs.AddRange(GrpcLogprobs.Of(update.Logprobs));
                if (FinishReasons.ToWire(update.Finish) is { } finish)
                {
                    response.FinishReason = finish;
                }

                if (update.Usage is { } usage)
                {
                    int cached = conversation.CachedTokens;
                    response.Usage = new Usage
                    {
                        PromptTokens = cached + usage.PromptTokens, CompletionTokens = usage.CompletionTokens,
                        TotalTokens = cached + usage.TotalTokens, CachedTokens = cached + usage.CachedPromptTokens,
                    };
                    if (conversation.Commit(model, request, text?.ToString() ?? string.Empty, update.Finish, usage) is { } stored)
                    {
                        response.ResponseId = stored;
                    }
                }

                await responseStream.WriteAsync(response, context.CancellationToken);
            }
        }
        catch (Exception ex) when (!context.CancellationToken.IsCancellationRequested)
        {
            run.MarkFailed(ex);
            throw;
        }
    }

    public override Task<TokenizeResponse> Tokenize(TokenizeRequest request, ServerCallContext context)
    {
        var model = api.Models.Require(request.Model);
        var tokenizer = PromptBuilder.RequireTokenizer(model, "text");
        var ids = tokenizer.Encode(request.Text);
        var response = new TokenizeResponse { Count = ids.Count, MaxModelLen = api.ModelOptions.MaxModelLen };
        response.TokenIds.AddRange(ids);
        return Task.FromResult(response);
    }

    private static SamplingParams Sampling(GenerateRequest r, int maxTokens)
    {
        var d = new SamplingParams();
        var sampling = new SamplingParams
        {
            MaxTokens = maxTokens,
            MinTokens = r.HasMinTokens ? r.MinTokens : d.MinTokens,
            Temperature = r.HasTemperature ? r.Temperature : d.Temperature,
            TopP = r.HasTopP ? r.TopP : d.TopP,
            TopK = r.HasTopK ? r.TopK : d.TopK,
            MinP = r.HasMinP ? r.MinP : d.MinP,
            Seed = r.HasSeed ? r.Seed : null,
            Stop = r.Stop.ToList(),
            StopTokenIds = r.StopTokenIds.ToList(),
            PresencePenalty = r.HasPresencePenalty ? r.PresencePenalty : d.PresencePenalty,
            FrequencyPenalty = r.HasFrequencyPenalty ? r.FrequencyPenalty : d.FrequencyPenalty,
            RepetitionPenalty = r.HasRepetitionPenalty ? r.RepetitionPenalty : d.RepetitionPenalty,
            IgnoreEos = r.HasIgnoreEos && r.IgnoreEos,
            IncludeStopStrInOutput = r.HasIncludeStopStrInOutput && r.IncludeStopStrInOutput,
            SkipSpecialTokens = r.HasSkipSpecialTokens && r.SkipSpecialTokens,
            Logprobs = r.HasLogprobs ? r.Logprobs : null,
            LogitBias = r.LogitBias.ToDictionary(p => p.Key, p => p.Value),
        };
        SamplingParamsValidator.Validate(sampling);
        return sampling;
    }
}
