using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi;

/// <summary>
/// vLLM's prompt-side request fields, shared by REST and gRPC: truncate_prompt_tokens (left truncation of the
/// tokenized prompt), add_special_tokens (accepted where it changes nothing for the served tokenizer) and cache_salt
/// (the prefix-state cache partition).
/// </summary>
public static class PromptOptions
{
    public const string TruncateParam = "truncate_prompt_tokens";
    public const string AddSpecialTokensParam = "add_special_tokens";
    public const string CacheSaltParam = "cache_salt";

    /// <summary>
    /// vLLM's cache_salt, checked as vLLM checks it (a non-empty string when given): the engine then shares cached
    /// prompt prefixes only with requests of the same salt.
    /// </summary>
    public static string? CacheSalt(string? salt) => salt is { Length: 0 }
        ? throw ApiException.BadRequest($"Parameter '{CacheSaltParam}' must be a non-empty string if provided.", CacheSaltParam)
        : salt;

    /// <summary>
    /// The number of prompt tokens to keep, or null to keep all. vLLM's -1 ("the model's max length") keeps all: a
    /// Mamba model has no max length (MaxModelLen still bounds the prompt after truncation). 0 and below -1: 400.
    /// </summary>
    public static int? Keep(int? truncatePromptTokens) => truncatePromptTokens switch
    {
        null or -1 => null,
        >= 1 and var k => k,
        var k => throw ApiException.BadRequest(
            $"{TruncateParam} must be at least 1 (or -1 for no truncation), got {k}.", TruncateParam),
    };

    /// <summary>
    /// The last <paramref name="keep"/> tokens of <paramref name="prompt"/> (left truncation, as vLLM); its text (for
    /// echo) becomes the decoded kept tokens. A shorter prompt is returned as is.
    /// </summary>
    public static PreparedPrompt Truncate(IServedModel model, PreparedPrompt prompt, int? keep)
    {
        if (keep is not { } k || prompt.Tokens.Count <= k)
        {
            return prompt;
        }

        var tokens = prompt.Tokens.Skip(prompt.Tokens.Count - k).ToArray();
        return new PreparedPrompt(tokens, model.Tokenizer?.Decode(tokens));
    }

    /// <summary>
    /// Prompts are tokenized without the tokenizer's post-processor tokens. add_special_tokens: true is refused only
    /// where that post-processor would add some (not GPT-NeoX's ByteLevel); false and absent are what the server does.
    /// </summary>
    public static void CheckAddSpecialTokens(IServedModel model, bool? addSpecialTokens)
    {
        if (addSpecialTokens == true && model.Tokenizer is { PostProcessorAddsTokens: true })
        {
            throw new ApiException(400,
                "add_special_tokens: true is not supported for this model: prompts are tokenized without the special tokens "
                + "its tokenizer's post-processor would add; write them into the prompt, or send add_special_tokens: false.",
                ApiException.InvalidRequest, AddSpecialTokensParam, "unsupported_parameter");
        }
    }
}
