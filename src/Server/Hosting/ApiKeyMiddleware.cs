using System.Security.Cryptography;
using System.Text;
using MambaServe.Server.OpenAi;
using Microsoft.Extensions.Options;

namespace MambaServe.Server.Hosting;

/// <summary>
/// With API keys configured, the OpenAI, Anthropic, SageMaker (/invocations) and tokenizer routes need <c>Authorization: Bearer &lt;key&gt;</c> or
/// <c>x-api-key: &lt;key&gt;</c> (401 otherwise).
/// Health and metrics stay open for probes and scrapers; gRPC has its own interceptor.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<ServerOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var keys = options.Value.ApiKeys;
        if (keys.Length > 0 && IsProtected(context.Request)
            && !IsAuthorized(context.Request.Headers.Authorization.ToString(), keys)
            && !IsAuthorized(ApiKeyAsBearer(context.Request), keys))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            throw new ApiException(401, "Incorrect or missing API key: send it as `Authorization: Bearer <key>` (or `x-api-key: <key>`, as Anthropic's clients do).",
                ApiException.Authentication, null, "invalid_api_key");
        }

        await next(context);
    }

    /// <summary>True when <paramref name="authorization"/> is "Bearer k" for one of <paramref name="keys"/>.</summary>
    public static bool IsAuthorized(string? authorization, IReadOnlyList<string> keys)
    {
        const string prefix = "Bearer ";
        if (authorization is null || !authorization.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var given = Encoding.UTF8.GetBytes(authorization[prefix.Length..].Trim());
        bool match = false;
        foreach (var key in keys)
        {
            // Constant time per key, and every key compared: the response time tells nothing about the keys.
            match |= CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(key));
        }

        return match;
    }

    /// <summary>Anthropic's clients send the key as <c>x-api-key</c>: read as a bearer token, so one comparison serves both.</summary>
    private static string? ApiKeyAsBearer(HttpRequest request) =>
        request.Headers["x-api-key"].FirstOrDefault() is { Length: > 0 } key ? "Bearer " + key : null;

    private static bool IsProtected(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true
        && (request.Path.StartsWithSegments("/v1") || request.Path.StartsWithSegments("/invocations")
            || request.Path.StartsWithSegments("/tokenize") || request.Path.StartsWithSegments("/detokenize"));
}
