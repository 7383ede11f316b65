using Grpc.Core;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.Tests.Infrastructure;

namespace MambaServe.Server.Tests.Grpc;

/// <summary>Hostile gRPC requests: raw bytes no generated client would send, and values out of range. Never INTERNAL or UNKNOWN.</summary>
public sealed class GrpcBadInputTests
{
    // Field 2 (prompt, length-delimited) holding bytes that are not UTF-8 (a lone surrogate's CESU form, a stray
    // byte, a cut sequence), and a message whose field is cut short.
    public static TheoryData<byte[]> MalformedGenerateRequests => new()
    {
        { [0x12, 0x03, 0xED, 0xA0, 0x80] },
        { [0x12, 0x03, (byte)'x', 0xFF, (byte)'y'] },
        { [0x12, 0x02, 0xC3, 0x28] },
        { [0x12, 0x09, (byte)'a'] },
    };

    [Theory]
    [MemberData(nameof(MalformedGenerateRequests))]
    public async Task Generate_MalformedMessage_InvalidArgument(byte[] message)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var invoker = GrpcClients.Channel(factory).CreateCallInvoker();
        var method = new Method<byte[], byte[]>(MethodType.ServerStreaming, "mambaserve.v1.TextGeneration", "Generate", RawBytes, RawBytes);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = invoker.AsyncServerStreamingCall(method, null, new CallOptions(), message);
            await call.ResponseStream.ReadAllAsync().ToListAsync();
        });

        Assert.True(error.StatusCode == StatusCode.InvalidArgument, error.Status.ToString());
        Assert.Contains("GenerateRequest", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokenize_TextNotUtf8_InvalidArgument()
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var invoker = GrpcClients.Channel(factory).CreateCallInvoker();
        var method = new Method<byte[], byte[]>(MethodType.Unary, "mambaserve.v1.TextGeneration", "Tokenize", RawBytes, RawBytes);

        // Field 2 (text) = "a", 0xFE.
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await invoker.AsyncUnaryCall(method, null, new CallOptions(), [0x12, 0x02, (byte)'a', 0xFE]));

        Assert.True(error.StatusCode == StatusCode.InvalidArgument, error.Status.ToString());
    }

    [Theory]
    [InlineData(float.NaN, 1f, 0)]
    [InlineData(float.PositiveInfinity, 1f, 0)]
    [InlineData(1f, float.NaN, 0)]
    [InlineData(1f, 1f, -7)]
    public async Task Generate_SamplingOutOfRange_InvalidArgumentNamingTheField(float temperature, float topP, int topK)
    {
        await using var factory = ServerFactory.WithFake(new FakeEngine(DemoTokenizer.Instance), DemoTokenizer.Instance);
        await factory.CreateReadyClientAsync();
        var client = new TextGeneration.TextGenerationClient(GrpcClients.Channel(factory));

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.Generate(new GenerateRequest { Prompt = "hi", Temperature = temperature, TopP = topP, TopK = topK }).ResponseStream.ReadAllAsync().ToListAsync());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.False(string.IsNullOrEmpty(error.Trailers.GetValue("x-error-param")));
    }

    private static readonly Marshaller<byte[]> RawBytes = new(b => b, b => b);
}
