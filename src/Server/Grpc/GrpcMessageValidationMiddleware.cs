using System.Buffers.Binary;
using System.Globalization;
using Google.Protobuf;
using global::Grpc.AspNetCore.Server;
using global::Grpc.Core;
using MambaServe.Server.Grpc.V1;
using MambaServe.Server.OpenAi;
using MambaServe.Server.Telemetry;

namespace MambaServe.Server.Grpc;

/// <summary>
/// Parses MambaServe's gRPC request messages before grpc-dotnet does. grpc-dotnet deserializes outside every
/// interceptor and answers a message it cannot parse (a string field that is not UTF-8, truncated protobuf) with
/// UNKNOWN, a server fault; the client sent bad input, so it gets INVALID_ARGUMENT, counted like any rejection.
/// </summary>
public sealed class GrpcMessageValidationMiddleware(RequestDelegate next, ServerTelemetry telemetry)
{
    // grpc-dotnet's default MaxReceiveMessageSize; larger messages are left to it (RESOURCE_EXHAUSTED).
    private const int MaxMessageBytes = 4 << 20;

    // Keyed like grpc-dotnet's IMethod.FullName: "/package.Service/Method".
    private static readonly Dictionary<string, MessageParser> s_parsers = new(StringComparer.Ordinal)
    {
        [$"/{TextGeneration.Descriptor.FullName}/Generate"] = GenerateRequest.Parser,
        [$"/{TextGeneration.Descriptor.FullName}/Tokenize"] = TokenizeRequest.Parser,
    };

    public async Task InvokeAsync(HttpContext context)
    {
        var method = context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method;
        if (method is null || !s_parsers.TryGetValue(method.FullName, out var parser))
        {
            await next(context);
            return;
        }

        context.Request.EnableBuffering();
        var message = await ReadMessageAsync(context.Request.Body, context.RequestAborted);
        context.Request.Body.Position = 0;
        if (message is not null && ParseError(parser, message) is { } why)
        {
            var error = ApiException.BadRequest($"The request message is not a valid {parser.GetType().GenericTypeArguments[0].Name}: {why}");
            telemetry.RecordRejected(new ApiException(error.Status, error.Message, error.Type, null, "invalid_message"));
            WriteStatus(context.Response, StatusCode.InvalidArgument, error.Message);
            return;
        }

        await next(context);
    }

    // One length-prefixed message (flag byte, 4-byte big-endian length); null when it is compressed, too large or
    // cut short, which grpc-dotnet reports itself.
    private static async Task<byte[]?> ReadMessageAsync(Stream body, CancellationToken ct)
    {
        var header = new byte[5];
        if (await body.ReadAtLeastAsync(header, 5, throwOnEndOfStream: false, ct) < 5 || header[0] != 0)
        {
            return null;
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        if (length > MaxMessageBytes)
        {
            return null;
        }

        var message = new byte[length];
        return await body.ReadAtLeastAsync(message, message.Length, throwOnEndOfStream: false, ct) < message.Length ? null : message;
    }

    private static string? ParseError(MessageParser parser, byte[] message)
    {
        try
        {
            parser.ParseFrom(message);
            return null;
        }
        catch (InvalidProtocolBufferException ex)
        {
            return ex.Message;
        }
        catch (ArgumentException)
        {
            // Strings are decoded strictly: invalid UTF-8 surfaces as a DecoderFallbackException.
            return "a string field is not valid UTF-8.";
        }
    }

    // A trailers-only response: the status travels in the headers and the stream ends without a message.
    private static void WriteStatus(HttpResponse response, StatusCode status, string message)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)status).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(message);
    }
}
