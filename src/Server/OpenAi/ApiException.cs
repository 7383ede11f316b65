namespace MambaServe.Server.OpenAi;

/// <summary>
/// A request the server refuses, with what the OpenAI error body carries; REST answers <see cref="Status"/>, gRPC the
/// matching status code (<see cref="Grpc.GrpcStatusMapping"/>).
/// </summary>
public sealed class ApiException(int status, string message, string type, string? param = null, string? code = null) : Exception(message)
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string RateLimit = "rate_limit_error";
    public const string ServiceUnavailable = "service_unavailable_error";
    public const string ServerError = "server_error";

    public int Status { get; } = status;

    public string Type { get; } = type;

    public string? Param { get; } = param;

    public string? Code { get; } = code;

    /// <summary>A low-cardinality reason for metrics: the code when there is one, else the type.</summary>
    public string Reason => Code ?? Type;

    public static ApiException BadRequest(string message, string? param = null) => new(400, message, InvalidRequest, param);
}
