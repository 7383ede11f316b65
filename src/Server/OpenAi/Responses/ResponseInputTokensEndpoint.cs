using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Conversations;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// POST /v1/responses/input_tokens: how many tokens the model would read for a Responses request, before sending it
/// (the official clients' <c>responses.input_tokens.count</c>, <c>inputTokens.count</c>). The body is a Responses
/// request; the count is planned as <see cref="ResponsesEndpoint"/> plans one (instructions, a previous response's or
/// a conversation's items, the tools when the model may call one, the chat template), so it equals the
/// <c>usage.input_tokens</c> that request would report. Nothing runs and nothing is stored: a saved state the plan
/// would start from is only looked at, then released. <c>input</c> may be left out, to count what a previous response
/// or a conversation holds.
/// </summary>
public static class ResponseInputTokensEndpoint
{
    public static async Task CountAsync(HttpContext http, ApiServices api, BackgroundResponses background)
    {
        var request = await OpenAiJson.ReadAsync<ResponsesRequest>(http.Request, http.RequestAborted);
        var model = api.Models.Require(request.Model);
        PromptBuilder.RequireTokenizer(model, "input");
        ResponseOptionsCheck.Validate(request);
        string? conversation = ConversationTurn.IdOf(request);
        string owner = api.OwnerOf(http);
        var input = request.Input is null ? [] : ResponseInputParser.Parse(request.Input, references: ResponseItemReferences.For(model, owner, null));
        var tools = ResponseTools.Parse(request);
        var answer = ResponseToolAnswer.For(tools, api.ServerOptions);
        var plan = ResponsesEndpoint.Plan(model, request, conversation, input, owner, tools, answer, background);
        ResponsesEndpoint.Constraint(request, tools, answer, model, plan);
        plan.Start?.Release();
        await OpenAiJson.WriteAsync(http.Response, new ResponseInputTokens(plan.CachedTokens + plan.Prompt.Tokens.Count));
    }
}

/// <summary>The answer of POST /v1/responses/input_tokens.</summary>
public sealed record ResponseInputTokens(int InputTokens)
{
    public string Object => "response.input_tokens";
}
