using MambaServe.Server.Hosting;

namespace MambaServe.Server.OpenAi.Models;

/// <summary>POST /tokenize and /detokenize with the served model's tokenizer (400 when it has none).</summary>
public static class TokenizeEndpoint
{
    public static async Task TokenizeAsync(HttpContext http, ApiServices api)
    {
        var request = await OpenAiJson.ReadAsync<TokenizeRequest>(http.Request, http.RequestAborted);
        var model = api.Models.Require(request.Model);
        var tokenizer = PromptBuilder.RequireTokenizer(model, "prompt");
        if (request.Prompt is null)
        {
            throw ApiException.BadRequest("prompt is required.", "prompt");
        }

        var tokens = tokenizer.Encode(request.Prompt);
        await OpenAiJson.WriteAsync(http.Response, new TokenizeResponse(tokens.Count, api.ModelOptions.MaxModelLen, tokens));
    }

    public static async Task DetokenizeAsync(HttpContext http, ApiServices api)
    {
        var request = await OpenAiJson.ReadAsync<DetokenizeRequest>(http.Request, http.RequestAborted);
        var model = api.Models.Require(request.Model);
        var tokenizer = PromptBuilder.RequireTokenizer(model, "tokens");
        if (request.Tokens is null)
        {
            throw ApiException.BadRequest("tokens is required.", "tokens");
        }

        foreach (int id in request.Tokens)
        {
            if (id < 0 || id >= tokenizer.VocabCount)
            {
                throw ApiException.BadRequest($"Token id {id} is outside the vocabulary (0..{tokenizer.VocabCount - 1}).", "tokens");
            }
        }

        await OpenAiJson.WriteAsync(http.Response, new DetokenizeResponse(tokenizer.Decode(request.Tokens)));
    }
}
