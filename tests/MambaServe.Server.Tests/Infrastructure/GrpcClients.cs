using Grpc.Core;
using Grpc.Net.Client;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>gRPC channels over the in-process server's handler (no sockets, HTTP/2 semantics kept).</summary>
public static class GrpcClients
{
    public static GrpcChannel Channel(ServerFactory factory, string? apiKey = null)
    {
        var options = new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() };
        if (apiKey is not null)
        {
            var credentials = CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", $"Bearer {apiKey}");
                return Task.CompletedTask;
            });
            options.Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, credentials);
            options.UnsafeUseInsecureChannelCallCredentials = true;
        }

        return GrpcChannel.ForAddress(factory.Server.BaseAddress, options);
    }
}
