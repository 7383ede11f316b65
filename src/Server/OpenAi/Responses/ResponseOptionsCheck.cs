using System.Text.Json;
using MambaServe.Engine.Sampling;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// The Responses fields this server does not implement. A value that asks for what it does anyway is accepted (a
/// text format (structured ones are enforced), truncation of either kind: there is no context to truncate,
/// include for the output text's logprobs only, top_logprobs up to 20; background, when stored); anything else is a 400 naming the field, rather than an answer that
/// silently ignores the request. Fields that only describe the caller (service_tier, prompt_cache_key,
/// safety_identifier, prompt_cache_retention, max_tool_calls (it counts hosted tools' calls), stream_options) are accepted and not used. Tools and
/// tool_choice are read by <see cref="ResponseTools"/>.
/// </summary>
public static class ResponseOptionsCheck
{
    public static void Validate(ResponsesRequest request)
    {
        Refuse(request.Text, "text", IsTextFormat, "text must be an object with `format` (type `text`, `json_object` or `json_schema`) and `verbosity` `medium` at most.");
        Refuse(request.Reasoning, "reasoning", v => v.ValueKind == JsonValueKind.Object && v.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.Null),
            "reasoning is not supported: the served model is not a reasoning model.");
        Refuse(request.Truncation, "truncation", v => IsString(v, "disabled") || IsString(v, "auto"), "truncation must be \"disabled\" or \"auto\".");
        Refuse(request.Include, "include", v => v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(i => IsString(i, ResponseLogprobs.Include)),
            $"include takes only `{ResponseLogprobs.Include}` here: responses carry no other extra items.");
        Kind(request.Background, "background", JsonValueKind.True, "a boolean");
        if (request.Background is { ValueKind: JsonValueKind.True })
        {
            if (request.Store == false)
            {
                throw ApiException.BadRequest("A background response must be stored (store: true): its outcome is read back with GET.", "store");
            }
        }

        Refuse(request.TopLogprobs, "top_logprobs", v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n is >= 0 and <= SamplingParamsValidator.MaxLogprobs,
            $"top_logprobs must be a whole number in [0, {SamplingParamsValidator.MaxLogprobs}].");
        Refuse(request.Prompt, "prompt", _ => false, "prompt templates are not supported: send input.");
        Kind(request.ParallelToolCalls, "parallel_tool_calls", JsonValueKind.True, "a boolean");
        Kind(request.StreamOptions, "stream_options", JsonValueKind.Object, "an object");
        Kind(request.ServiceTier, "service_tier", JsonValueKind.String, "a string");
        Kind(request.PromptCacheKey, "prompt_cache_key", JsonValueKind.String, "a string");
        Kind(request.PromptCacheRetention, "prompt_cache_retention", JsonValueKind.String, "a string");
        Refuse(request.ContextManagement, "context_management", v => v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0,
            "context_management is not supported: this server does not compact conversations (a Mamba state does not grow with them).");
        Kind(request.SafetyIdentifier, "safety_identifier", JsonValueKind.String, "a string");
        Kind(request.MaxToolCalls, "max_tool_calls", JsonValueKind.Number, "a number");
    }

    private static void Refuse(JsonElement? value, string name, Func<JsonElement, bool> accepted, string message)
    {
        if (value is { ValueKind: not JsonValueKind.Null } v && !accepted(v))
        {
            throw ApiException.BadRequest(message, name);
        }
    }

    private static void Kind(JsonElement? value, string name, JsonValueKind kind, string expected)
    {
        if (value is { ValueKind: not JsonValueKind.Null } v && v.ValueKind != kind && !(kind == JsonValueKind.True && v.ValueKind == JsonValueKind.False))
        {
            throw ApiException.BadRequest($"{name} must be {expected}.", name);
        }
    }

    private static bool IsString(JsonElement value, string text) => value.ValueKind == JsonValueKind.String && value.ValueEquals(text);

    private static bool IsTextFormat(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object && value.EnumerateObject().All(p => p.Name switch
        {
            // The structured formats are read and checked by StructuredOutputMapper.
            "format" => p.Value.ValueKind is JsonValueKind.Null or JsonValueKind.Object,
            "verbosity" => p.Value.ValueKind == JsonValueKind.Null || IsString(p.Value, "medium"),
            _ => false,
        });
}
