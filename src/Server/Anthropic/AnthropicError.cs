using MambaServe.Server.OpenAi;

namespace MambaServe.Server.Anthropic;

/// <summary>
/// Anthropic's error body, <c>{"type": "error", "error": {"type", "message"}}</c>, which the Anthropic routes answer
/// instead of OpenAI's: the error type follows the status as Anthropic's API names it.
/// </summary>
public sealed record AnthropicErrorBody(AnthropicError Error)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public string Type => "error";

    /// <summary>Whether a failed request is answered in Anthropic's shape: the Messages routes, and any request from an Anthropic client.</summary>
    public static bool Answers(HttpRequest request) => request.Path.StartsWithSegments("/v1/messages") || AnthropicModels.Asks(request);

    public static AnthropicErrorBody From(ApiException error) => new(AnthropicError.From(error));
}

public sealed record AnthropicError(string Type, string Message)
{
    public static AnthropicError From(ApiException error) => new(error.Status switch
    {
        400 or 415 or 422 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 => "overloaded_error",
        504 => "timeout_error",
        _ => "api_error",
    }, error.Message);
}
