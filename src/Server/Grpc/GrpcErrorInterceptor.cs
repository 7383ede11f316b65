using global::Grpc.Core;
using global::Grpc.Core.Interceptors;
using MambaServe.Server.OpenAi;
using MambaServe.Server.Telemetry;

namespace MambaServe.Server.Grpc;

/// <summary>
/// Maps handler exceptions to gRPC statuses (<see cref="GrpcStatusMapping"/>) and counts them as rejections, as the REST
/// error middleware does for HTTP.
/// </summary>
public sealed class GrpcErrorInterceptor(ServerTelemetry telemetry) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (Mappable(ex, context))
        {
            throw Reject(ex);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (Mappable(ex, context))
        {
            throw Reject(ex);
        }
    }

    // RpcExceptions are already statuses; a cancelled call has gone away and needs no status.
    private static bool Mappable(Exception ex, ServerCallContext context) =>
        ex is not RpcException && !(ex is OperationCanceledException && context.CancellationToken.IsCancellationRequested);

    private RpcException Reject(Exception ex)
    {
        var error = ApiErrors.From(ex);
        telemetry.RecordRejected(error);
        return GrpcStatusMapping.ToRpc(error);
    }
}
