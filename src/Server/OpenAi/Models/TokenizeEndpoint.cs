using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.OpenAi.Models;

/// <summary>
/// POST /tokenize and /detokenize with the served model's tokenizer (400 when it has none). /tokenize takes a prompt,
/// or chat messages, which it renders with <see cref="ChatPrompt"/> as the chat route does, so its tokens are the ones
/// a chat request with the same fields prefills.
/// </summary>
public static class TokenizeEndpoint
{
    public static async Task TokenizeAsync(HttpContext http, ApiServices api)
    {
        var request = await OpenAiJson.ReadAsync<TokenizeRequest>(http.Request, http.RequestAborted);
        var model = api.Models.Require(request.Model);
        var tokenizer = PromptBuilder.RequireTokenizer(model, request.Messages is null ? "prompt" : "messages");
        PromptOptions.CheckAddSpecialTokens(model, request.AddSpecialTokens);
        var tokens = tokenizer.Encode(Text(request, model, api.ServerOptions));
        var strs = request.ReturnTokenStrs == true ? tokens.Select(tokenizer.TokenPiece).ToList() : null;
        await OpenAiJson.WriteAsync(http.Response, new TokenizeResponse(tokens.Count, api.ModelOptions.MaxModelLen, tokens, strs));
    }

    /// <summary>The text to tokenize: the prompt, or the messages rendered; a chat field beside a prompt is a 400 naming it.</summary>
    private static string Text(TokenizeRequest request, IServedModel model, ServerOptions server)
    {
        if (request.Messages is { } messages)
        {
            if (request.Prompt is not null)
            {
                throw ApiException.BadRequest("Send either prompt or messages, not both.", "prompt");
            }

            var chat = new ChatRequest
            {
                Messages = messages, AddGenerationPrompt = request.AddGenerationPrompt, ContinueFinalMessage = request.ContinueFinalMessage,
                ChatTemplateKwargs = request.ChatTemplateKwargs, ChatTemplate = request.ChatTemplate,
            };
            return ChatPrompt.Render(chat, model, server);
        }

        var chatField = request switch
        {
            { AddGenerationPrompt: not null } => "add_generation_prompt",
            { ContinueFinalMessage: not null } => "continue_final_message",
            { ChatTemplateKwargs: not null } => "chat_template_kwargs",
            { ChatTemplate: not null } => "chat_template",
            _ => null,
        };
        if (chatField is not null)
        {
            throw ApiException.BadRequest($"{chatField} applies to messages only; this request tokenizes a prompt.", chatField);
        }

        return request.Prompt ?? throw ApiException.BadRequest("prompt or messages is required.", "prompt");
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
