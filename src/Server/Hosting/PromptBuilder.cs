using MambaServe.Engine.Tokenization;
using MambaServe.Server.OpenAi;

namespace MambaServe.Server.Hosting;

/// <summary>Tokenizes and checks prompts against the served model and the context limit (400s with the field name).</summary>
public static class PromptBuilder
{
    public static PreparedPrompt FromText(IServedModel model, string text, string param)
    {
        if (model.Tokenizer is not { } tokenizer)
        {
            throw ApiException.BadRequest(
                $"The model `{model.Name}` is served without a tokenizer: send the prompt as token ids.", param);
        }

        var tokens = tokenizer.Encode(text);
        CheckTokens(model, tokens, param);
        return new PreparedPrompt(tokens, text);
    }

    /// <summary>The model's tokenizer, or a 400 naming <paramref name="param"/> when it is served without one.</summary>
    public static MambaTokenizer RequireTokenizer(IServedModel model, string param) =>
        model.Tokenizer ?? throw ApiException.BadRequest($"The model `{model.Name}` is served without a tokenizer.", param);

    public static PreparedPrompt FromTokens(IServedModel model, IReadOnlyList<int> tokens, string param)
    {
        CheckTokens(model, tokens, param);
        return new PreparedPrompt(tokens, model.Tokenizer?.Decode(tokens));
    }

    // Text prompts are checked too: a tokenizer may know ids (added tokens) beyond the model's embedding rows.
    private static void CheckTokens(IServedModel model, IReadOnlyList<int> tokens, string param)
    {
        if (tokens.Count == 0)
        {
            throw ApiException.BadRequest("The prompt must not be empty.", param);
        }

        foreach (int id in tokens)
        {
            if (id < 0 || id >= model.SampleableVocab)
            {
                throw ApiException.BadRequest($"Token id {id} is outside the model's vocabulary (0..{model.SampleableVocab - 1}).", param);
            }
        }
    }

    /// <summary>
    /// Rejects a prompt longer than <see cref="ModelOptions.MaxModelLen"/> (400 on <paramref name="promptParam"/>) and an
    /// output budget above <see cref="ModelOptions.MaxGenerationTokens"/> (400 on <paramref name="maxTokensParam"/>).
    /// There is no combined context limit: a Mamba sequence's state does not grow with its length.
    /// </summary>
    public static void CheckLength(PreparedPrompt prompt, int maxTokens, ModelOptions limits, string promptParam, string maxTokensParam = "max_tokens") =>
        CheckLength(prompt.Tokens.Count, maxTokens, limits, promptParam, maxTokensParam);

    /// <summary>As above, for a prompt whose <paramref name="promptTokens"/> are what the request adds (a conversation's new turn).</summary>
    public static void CheckLength(int promptTokens, int maxTokens, ModelOptions limits, string promptParam, string maxTokensParam = "max_tokens")
    {
        if (promptTokens > limits.MaxModelLen)
        {
            throw ApiException.BadRequest(
                $"This server accepts prompts of up to {limits.MaxModelLen} tokens; this one has {promptTokens}. " +
                "Please shorten the prompt.",
                promptParam);
        }

        if (maxTokens > limits.MaxGenerationTokens)
        {
            throw ApiException.BadRequest(
                $"{maxTokensParam} must be at most {limits.MaxGenerationTokens} (MambaServe:Model:MaxGenerationTokens); got {maxTokens}.",
                maxTokensParam);
        }
    }

    /// <summary>The output budget of a request that names none: what <see cref="ModelOptions.MaxModelLen"/> leaves after the prompt.</summary>
    public static int DefaultMaxTokens(PreparedPrompt prompt, ModelOptions limits) => DefaultMaxTokens(prompt.Tokens.Count, limits);

    public static int DefaultMaxTokens(int promptTokens, ModelOptions limits) => Math.Clamp(limits.MaxModelLen - promptTokens, 1, limits.MaxGenerationTokens);
}
