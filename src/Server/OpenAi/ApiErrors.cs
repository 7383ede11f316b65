using System.Text.Json;
using MambaServe.Engine.Scheduling;

namespace MambaServe.Server.OpenAi;

/// <summary>Maps whatever a request handler threw to the error the client sees (REST and gRPC alike).</summary>
public static class ApiErrors
{
    public static ApiException From(Exception ex) => ex switch
    {
        ApiException api => api,
        JsonException json => ApiException.BadRequest($"Invalid JSON body: {json.Message}", JsonParam(json.Path)),
        ArgumentException arg => ApiException.BadRequest(StripParam(arg), arg.ParamName is "request" ? null : arg.ParamName),
        BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
            new ApiException(413, "The request body is too large.", ApiException.InvalidRequest, null, "request_too_large"),
        BadHttpRequestException bad => new ApiException(bad.StatusCode, bad.Message, ApiException.InvalidRequest),
        EngineOverloadedException over => new ApiException(429, over.Message, ApiException.RateLimit, null, "rate_limit_exceeded"),
        EngineStoppedException stopped => new ApiException(503, stopped.Message, ApiException.ServiceUnavailable, null, "engine_stopped"),
        GenerationTimeoutException timeout => new ApiException(504, timeout.Message, ApiException.ServerError, null, "timeout"),
        _ => new ApiException(500, "The server failed to handle the request.", ApiException.ServerError),
    };

    // ArgumentException appends " (Parameter 'x')" and ArgumentOutOfRangeException the actual value; clients get the rule.
    private static string StripParam(ArgumentException arg)
    {
        var message = arg.Message;
        int cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf("\nActual value", StringComparison.Ordinal);
        }

        return cut >= 0 ? message[..cut].Trim() : message;
    }

    // "$.temperature" -> "temperature": the JSON path of the offending field is what OpenAI calls param.
    private static string? JsonParam(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return null;
        }

        var trimmed = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        int end = trimmed.IndexOfAny(['.', '[']);
        return end > 0 ? trimmed[..end] : trimmed;
    }
}
