using System.Text.Json;
using MambaServe.Engine.Scheduling;
using MambaServe.Server.OpenAi.Validation;

namespace MambaServe.Server.OpenAi;

/// <summary>Maps whatever a request handler threw to the error the client sees (REST and gRPC alike).</summary>
public static class ApiErrors
{
    public static ApiException From(Exception ex) => ex switch
    {
        ApiException api => api,
        // Bodies are read by RequestReader, which names fields itself; any other JSON failure keeps .NET's wording out.
        JsonException json => new ApiException(400, "The request body is not valid for this route.", ApiException.InvalidRequest, JsonPath.Format(JsonPath.Parse(json.Path)), "invalid_json"),
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
}
