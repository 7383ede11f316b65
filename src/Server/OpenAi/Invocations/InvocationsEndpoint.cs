using System.Text.Json;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Chat;
using MambaServe.Server.OpenAi.Completions;

namespace MambaServe.Server.OpenAi.Invocations;

/// <summary>
/// POST /invocations: the route Amazon SageMaker sends inference to (beside its /ping probe), as vLLM serves it: the
/// body says which request it is. One with <c>messages</c> is answered as /v1/chat/completions, one with
/// <c>prompt</c> as /v1/completions, streamed or not, with their fields, rules and errors; anything else is a 400.
/// A body that is not a JSON object is left to the completions route, whose reader says what is wrong with it.
/// </summary>
public static class InvocationsEndpoint
{
    public static async Task HandleAsync(HttpContext http, ApiServices api)
    {
        http.Request.EnableBuffering();
        string? kind = await KindAsync(http.Request.Body, http.RequestAborted);
        http.Request.Body.Position = 0;
        switch (kind)
        {
            case "messages":
                await ChatEndpoint.HandleAsync(http, api);
                break;
            case "prompt" or null:
                await CompletionsEndpoint.HandleAsync(http, api);
                break;
            default:
                throw ApiException.BadRequest(
                    "/invocations takes a chat request (with `messages`) or a completion request (with `prompt`).", null);
        }
    }

    /// <summary>"messages", "prompt", "" for an object with neither, or null when the body is not a JSON object.</summary>
    private static async Task<string?> KindAsync(Stream body, CancellationToken ct)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(body, new JsonDocumentOptions { MaxDepth = 64 }, ct);
            var root = document.RootElement;
            return root.ValueKind != JsonValueKind.Object ? null
                : root.TryGetProperty("messages", out _) ? "messages"
                : root.TryGetProperty("prompt", out _) ? "prompt"
                : string.Empty;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
