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

    /// <summary>Rejects a prompt that, with the tokens asked for, exceeds the server's context limit.</summary>
    public static void CheckLength(PreparedPrompt prompt, int maxTokens, int maxModelLen, string param)
    {
        long total = (long)prompt.Tokens.Count + maxTokens;
        if (total > maxModelLen)
        {
            throw ApiException.BadRequest(
                $"This model's maximum context length is {maxModelLen} tokens. However, you requested {total} tokens " +
                $"({prompt.Tokens.Count} in the prompt, {maxTokens} in the completion). Please reduce the prompt or max_tokens.",
                param);
        }
    }
}
