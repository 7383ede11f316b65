using System.Net;
using System.Net.Http.Headers;
using Polly;
using Polly.Retry;

namespace MambaServe.Engine.Loading.Hub;

/// <summary>
/// Requests to the hub: bearer token, status-to-error mapping, and a Polly retry pipeline for transient failures
/// (network errors, timeouts, 408/429/5xx). Permanent answers (401, 403, 404) are not retried, and neither is a
/// host name that does not resolve: DNS has already answered, and asking again five times only delays the error.
/// </summary>
internal sealed class HubHttp
{
    private readonly HttpClient _client;
    private readonly HubOptions _options;

    public HubHttp(HttpClient client, HubOptions options)
    {
        _client = client;
        _options = options;
        Retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome.Exception, args.Context.CancellationToken)),
                MaxRetryAttempts = Math.Max(1, options.MaxRetries),
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();
    }

    public ResiliencePipeline Retry { get; }

    public async Task<HttpResponseMessage> SendAsync(Uri url, RangeHeaderValue? range, string what, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (_options.Token is not null && url.Host == _options.Endpoint.Host)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
        }

        request.Headers.Range = range;
        var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return response;
        }

        using (response)
        {
            throw StatusError(response.StatusCode, url, what);
        }
    }

    private static Exception StatusError(HttpStatusCode status, Uri url, string what)
    {
        var code = (int)status;
        return status switch
        {
            HttpStatusCode.NotFound => new HubException($"{what} not found on the hub (HTTP 404 from {url}): check the model id and revision."),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new HubException(
                $"{what}: access denied (HTTP {code} from {url}); the repository may be private or gated, or may not " +
                "exist: set HF_TOKEN to a token with access."),
            _ when code is 408 or 429 or >= 500 => new HttpRequestException($"HTTP {code} from {url}", null, status),
            _ => new HubException($"{what}: unexpected HTTP {code} from {url}."),
        };
    }

    /// <summary>Worth retrying: network and I/O errors, retryable statuses, and timeouts (not the caller's cancellation).</summary>
    public static bool IsTransient(Exception? ex, CancellationToken ct) => ex switch
    {
        HttpRequestException http => !IsNameResolutionFailure(http),
        IOException => true,
        // HttpClient reports its own timeout as a cancellation; only the caller's cancellation is final.
        OperationCanceledException => !ct.IsCancellationRequested,
        _ => false,
    };

    /// <summary>The hub could not be reached at all this time: a transient failure or a host name that does not resolve.</summary>
    public static bool IsUnreachable(Exception? ex, CancellationToken ct) => IsTransient(ex, ct) || IsNameResolutionFailure(ex);

    private static bool IsNameResolutionFailure(Exception? ex) =>
        ex is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError };
}
