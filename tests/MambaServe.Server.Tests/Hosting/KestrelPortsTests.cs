using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Hosting;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Hosting;

/// <summary>The real Kestrel listeners: REST over HTTP/1.1 on --port, gRPC over HTTP/2 cleartext on --grpc-port only.</summary>
public sealed class KestrelPortsTests
{
    [Fact]
    public async Task Run_TwoPorts_RestOnHttp1PortAndGrpcOnlyOnGrpcPort()
    {
        int restPort = ServerProcess.FreePort(), grpcPort = ServerProcess.FreePort();
        var app = ServerApp.Build([], new Dictionary<string, string?>
        {
            ["MambaServe:Server:Host"] = "127.0.0.1",
            ["MambaServe:Server:Port"] = restPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MambaServe:Server:GrpcPort"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MambaServe:Model:Path"] = TestPaths.Fixture("tiny-a"),
            ["MambaServe:Model:Threads"] = "1",
            ["MambaServe:StatePool:SlotCount"] = "2",
            ["MambaServe:Scheduler:MaxRunningSequences"] = "2",
        });
        await using (app)
        {
            await app.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{restPort}") };
            await ClientScripts.WaitReadyAsync(http);

            var live = await http.GetAsync("/health/live");
            var request = new GenerateRequest { PromptTokenIds = new TokenIds { Ids = { 5, 6, 7 } }, MaxTokens = 2, IgnoreEos = true };
            var grpc = new TextGeneration.TextGenerationClient(GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}"));
            var responses = await grpc.Generate(request).ResponseStream.ReadAllAsync().ToListAsync();
            var onRestPort = new TextGeneration.TextGenerationClient(GrpcChannel.ForAddress($"http://127.0.0.1:{restPort}"));
            var wrongPort = await Assert.ThrowsAsync<RpcException>(async () => await onRestPort.Generate(request).ResponseStream.ReadAllAsync().ToListAsync());

            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal(new Version(1, 1), live.Version);
            Assert.Equal(2, responses.Sum(r => r.TokenIds.Count));
            Assert.Equal("length", responses[^1].FinishReason);
            Assert.NotEqual(StatusCode.OK, wrongPort.StatusCode);
            await app.StopAsync();
        }
    }
}
