using global::Grpc.Core;
using global::Grpc.Core.Interceptors;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi;
using MambaServe.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace MambaServe.Server.Grpc;

/// <summary>
/// With API keys configured, MambaServe's gRPC methods need the <c>authorization: Bearer &lt;key&gt;</c> metadata
/// (UNAUTHENTICATED otherwise); grpc.health.v1 and reflection stay open, like /health over REST.
/// </summary>
public sealed class GrpcApiKeyInterceptor(IOptions<ServerOptions> options, ServerTelemetry telemetry) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        var keys = options.Value.ApiKeys;
        if (keys.Length == 0 || context.Method.StartsWith("/grpc.", StringComparison.Ordinal))
        {
            return;
        }

        if (!ApiKeyMiddleware.IsAuthorized(context.RequestHeaders.GetValue("authorization"), keys))
        {
            var error = new ApiException(401, "Incorrect or missing API key: send `authorization: Bearer <key>` metadata.", ApiException.Authentication, null, "invalid_api_key");
            telemetry.RecordRejected(error);
            throw GrpcStatusMapping.ToRpc(error);
        }
    }
}
