using MambaServe.Server.Hosting;
using MambaServe.Server.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace MambaServe.Server.OpenAi;

/// <summary>
/// Every REST failure becomes the OpenAI error body with its status (Anthropic's on the Anthropic routes); also enforces the body size limit (413) for
/// servers that do not (the in-process test server), and counts every error answer by status and reason. A failure
/// after a stream started is left to the stream writer.
/// </summary>
public sealed partial class ErrorHandlingMiddleware(
    RequestDelegate next, IOptions<ServerOptions> options, ServerTelemetry telemetry, ILogger<ErrorHandlingMiddleware> logger)
{
    /// <summary>nginx's status for a request whose client closed the connection before the answer; only ever logged.</summary>
    public const int StatusCodeClientClosedRequest = 499;

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            await next(context);
            return;
        }

        long limit = options.Value.MaxRequestBodyBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        try
        {
            if (context.Request.ContentLength > limit)
            {
                throw new ApiException(413, $"The request body is larger than {limit} bytes.", ApiException.InvalidRequest, null, "request_too_large");
            }

            await next(context);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (whatever that broke on the way out); nothing to answer. The request log shows
            // nginx's 499 "client closed request" rather than a status nobody sent.
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodeClientClosedRequest;
            }
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            var error = ApiErrors.From(ex);
            if (error.Status >= 500)
            {
                LogFailure(ex, context.Request.Path);
            }

            // Counted before the body is written, so a scrape right after the answer already sees it.
            telemetry.RecordRejected(error);
            context.Response.Clear();
            try
            {
                object body = Anthropic.AnthropicErrorBody.Answers(context.Request) ? Anthropic.AnthropicErrorBody.From(error) : ErrorBody.From(error);
                await OpenAiJson.WriteAsync(context.Response, body, error.Status);
            }
            catch (Exception) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client left while the error was written.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Request to {Path} failed")]
    private partial void LogFailure(Exception ex, string path);
}
