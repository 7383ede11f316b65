using global::Grpc.Core;
using global::Grpc.Core.Interceptors;

namespace MambaServe.Server.Grpc;

/// <summary>Maps handler exceptions to gRPC statuses (<see cref="GrpcStatusMapping"/>), as the REST error middleware maps them to HTTP.</summary>
public sealed class GrpcErrorInterceptor : Interceptor
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
            throw GrpcStatusMapping.ToRpc(ex);
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
            throw GrpcStatusMapping.ToRpc(ex);
        }
    }

    // RpcExceptions are already statuses; a cancelled call has gone away and needs no status.
    private static bool Mappable(Exception ex, ServerCallContext context) =>
        ex is not RpcException && !(ex is OperationCanceledException && context.CancellationToken.IsCancellationRequested);
}
