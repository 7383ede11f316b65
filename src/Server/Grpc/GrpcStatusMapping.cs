using global::Grpc.Core;
using MambaServe.Server.OpenAi;
using MambaServe.Server.OpenAi.Responses;

namespace MambaServe.Server.Grpc;

/// <summary>The gRPC status code for each HTTP status the REST API uses for the same failure.</summary>
public static class GrpcStatusMapping
{
    public static StatusCode FromHttp(int status) => status switch
    {
        400 => StatusCode.InvalidArgument,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.NotFound,
        413 or 429 => StatusCode.ResourceExhausted,
        503 => StatusCode.Unavailable,
        504 => StatusCode.DeadlineExceeded,
        _ => StatusCode.Internal,
    };

    public static RpcException ToRpc(ApiException error)
    {
        var metadata = new Metadata();
        if (error.Param is { } param)
        {
            metadata.Add("x-error-param", param);
        }

        // REST answers a missing previous response with 400, as OpenAI does; gRPC has a code for a missing resource.
        var code = error.Code == ResponseStore.PreviousNotFoundCode ? StatusCode.NotFound : FromHttp(error.Status);
        return new RpcException(new Status(code, error.Message), metadata);
    }
}
